import type { GuardPause } from "@/db/schema";
import { format, type Locale, type Messages } from "@/lib/i18n";

/** Why the reputation guard paused a task, on the task's page; after a resume it stays as the record of what happened. */
export function GuardReason({ pause, overridden, paused, t, locale }: { pause: GuardPause; overridden: boolean; paused: boolean; t: Messages; locale: Locale }) {
  const number = (value: number) => value.toLocaleString(locale, { maximumFractionDigits: 2 });
  const params = { rule: t.notifications.rules[pause.rule], rate: number(pause.rate), threshold: number(pause.threshold), answers: number(pause.answers), domain: pause.domain ?? "" };
  return (
    <section
      role={paused ? "alert" : undefined}
      className={`rounded-lg p-4 text-sm ring-1 ${paused ? "bg-amber-50 text-amber-900 ring-amber-200" : "bg-slate-50 text-slate-700 ring-slate-200"}`}
      data-testid="task-guard-reason"
      data-rule={pause.rule}
    >
      <h2 className="font-semibold">{t.guard.pausedTitle}</h2>
      <p className="mt-1">{format(pause.scope === "domain" ? t.guard.pausedDomain : t.guard.pausedTask, params)}</p>
      {overridden ? <p className="mt-1 text-xs">{t.guard.overridden}</p> : null}
    </section>
  );
}
