import type { ReactNode } from "react";
import { AutomationStepsChart } from "@/components/charts/automation-steps-chart";
import { Card } from "@/components/ui/card";
import { Forbidden } from "@/components/ui/forbidden";
import { LinkButton } from "@/components/ui/link-button";
import { PageHeader } from "@/components/ui/page-header";
import { Stat } from "@/components/ui/stat";
import { consolePage, loadOrDeny } from "@/app/(console)/_page/console-page";
import { can } from "@/lib/access/policy";
import { getAutomation } from "@/lib/automations/store";
import { automationNames } from "@/lib/automations/names";
import { formatInZone } from "@/lib/time/zone";
import { AutomationStatusBadge } from "../automation-status";
import { namesFrom, triggerInWords } from "../automation-words";
import { AutomationActions } from "./automation-actions";
import { StepFigures } from "./step-figures";

/** An automation's report: what starts it and who sends it, how its contacts stand, each step's figures and the funnel they make; pause and resume for those who manage tasks. */
export default consolePage("tasks.view", async function AutomationPage(ctx, { params }: { params: Promise<{ id: string }> }) {
  const { t, actor, locale } = ctx;
  const words = t.automations;
  const automation = await loadOrDeny(getAutomation(ctx, (await params).id));
  if (!automation) return <Forbidden message={t.errors.forbidden} />;
  const names = await automationNames(ctx, [automation]);
  const nameOf = namesFrom(names);
  const sender = names.senders.get(automation.senderId);
  const number = (value: number) => value.toLocaleString(locale);
  const details: [string, ReactNode, string][] = [
    ...(actor.role !== "department" ? ([[t.common.department, names.departments.get(automation.departmentId) ?? t.common.none, "department"]] as [string, ReactNode, string][]) : []),
    [words.report.trigger, triggerInWords(words, automation.trigger, nameOf), "trigger"],
    [words.report.sender, sender ? (sender.name ? `${sender.name} <${sender.address}>` : sender.address) : words.deleted, "sender"],
    [words.report.createdBy, `${automation.createdBy} · ${formatInZone(new Date(automation.createdAt), ctx.timeZone)}`, "created"],
  ];
  const { enrolments } = automation;
  return (
    <div className="space-y-5">
      <PageHeader
        title={automation.name}
        actions={
          <>
            {can(actor.role, "tasks.manage") ? <AutomationActions key={automation.status} automation={{ id: automation.id, name: automation.name, status: automation.status }} /> : null}
            <LinkButton href="/automations" variant="secondary">
              {words.back}
            </LinkButton>
          </>
        }
      >
        <AutomationStatusBadge status={automation.status} labels={words.statuses} />
      </PageHeader>
      {automation.status === "paused" ? (
        <p className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800" data-testid="automation-paused-note">
          {words.report.pausedNote}
        </p>
      ) : null}
      <Card title={words.report.details}>
        <dl className="grid gap-x-6 gap-y-2 text-sm sm:grid-cols-2" data-testid="automation-details">
          {details.map(([label, value, key]) => (
            <div key={key} className="flex gap-2">
              <dt className="w-28 shrink-0 text-slate-500">{label}</dt>
              <dd className="min-w-0 break-words text-slate-900" data-testid={`automation-detail-${key}`}>
                {value}
              </dd>
            </div>
          ))}
        </dl>
      </Card>
      <section className="space-y-2" aria-label={words.report.enrolments}>
        <h2 className="text-sm font-semibold text-slate-900">{words.report.enrolments}</h2>
        <div className="grid grid-cols-3 gap-2 sm:gap-3">
          <Stat label={words.report.active} value={number(enrolments.active)} testId="enrolments-active" />
          <Stat label={words.report.done} value={number(enrolments.done)} testId="enrolments-done" />
          <Stat label={words.report.stopped} value={number(enrolments.stopped)} testId="enrolments-stopped" />
        </div>
      </section>
      <section className="space-y-2">
        <h2 className="text-sm font-semibold text-slate-900">{words.report.steps}</h2>
        <StepFigures automation={automation} names={nameOf} words={words} locale={locale} />
      </section>
      <AutomationStepsChart
        steps={automation.steps.map((step, index) => ({
          label: `${index + 1} · ${words.step.types[step.type]}`,
          ran: automation.stepFigures[index]?.ran ?? 0,
          at: automation.stepFigures[index]?.at ?? 0,
        }))}
        locale={locale}
        labels={{ title: words.report.chartTitle, ran: words.report.chartRan, at: words.report.chartAt, empty: words.report.chartEmpty }}
      />
    </div>
  );
});
