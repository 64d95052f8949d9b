import Link from "next/link";
import type { GettingStartedStep } from "@/lib/accounts/getting-started";
import type { Messages } from "@/lib/i18n";
import { format } from "@/lib/i18n";

/**
 * The getting-started checklist: each step ticked from the data, named, explained and linked to the
 * page where it is done. Once every step is done it is one line.
 */
export function GettingStartedChecklist({ steps, labels }: { steps: GettingStartedStep[]; labels: Messages["checklist"] }) {
  const done = steps.filter((step) => step.done).length;
  if (done === steps.length) {
    return (
      <p className="rounded-lg bg-emerald-50 px-4 py-2 text-sm text-emerald-800 ring-1 ring-emerald-200" data-testid="checklist-done">
        ✓ {labels.allDone}
      </p>
    );
  }
  return (
    <section className="rounded-lg bg-white p-4 ring-1 ring-indigo-200" data-testid="checklist" aria-labelledby="checklist-title">
      <div className="mb-1 flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="checklist-title" className="text-sm font-semibold text-slate-900">
          {labels.title}
        </h2>
        <span className="text-xs tabular-nums text-slate-600" data-testid="checklist-progress">
          {format(labels.progress, { done, total: steps.length })}
        </span>
      </div>
      <p className="mb-3 text-sm text-slate-600">{labels.intro}</p>
      <ol className="divide-y divide-slate-100">
        {steps.map((step, index) => {
          const text = labels.steps[step.key];
          return (
            <li key={step.key} className="flex items-start gap-3 py-2" data-testid={`checklist-step-${step.key}`} data-done={step.done ? "true" : "false"}>
              <span
                className={`mt-0.5 flex size-5 shrink-0 items-center justify-center rounded-full text-xs font-semibold ${step.done ? "bg-emerald-600 text-white" : "bg-slate-100 text-slate-600 ring-1 ring-slate-300"}`}
                aria-label={step.done ? labels.done : labels.todo}
                role="img"
              >
                {step.done ? "✓" : index + 1}
              </span>
              <span className="min-w-0">
                <Link
                  href={step.href}
                  className={`text-sm font-medium hover:underline ${step.done ? "text-slate-500 line-through decoration-slate-300" : "text-indigo-700"}`}
                  data-testid={`checklist-link-${step.key}`}
                >
                  {text.title}
                </Link>
                <span className="block text-xs text-slate-500">{text.hint}</span>
              </span>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
