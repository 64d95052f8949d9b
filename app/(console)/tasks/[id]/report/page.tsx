import Link from "next/link";
import { FunnelChart } from "@/components/charts/funnel-chart";
import { DownloadLink } from "@/components/reports/download-link";
import { percent } from "@/components/reports/summary-tiles";
import { TaskStatusBadge } from "@/components/tasks/task-status";
import { Forbidden } from "@/components/ui/forbidden";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { DataTable } from "@/components/ui/data-table";
import { Td } from "@/components/ui/table";
import { can } from "@/lib/access/policy";
import { consolePage, loadOrDeny } from "@/app/(console)/_page/console-page";
import { format } from "@/lib/i18n";
import { taskReport } from "@/lib/reports/queries";
import { engagementRates } from "@/lib/reports/rates";
import { formatInZone } from "@/lib/time/zone";

const FUNNEL = ["sent", "delivered", "opened", "clicked", "unsubscribed"] as const;
const BESIDE = ["bounced", "complained", "failed", "suppressed", "total"] as const;

/** One task's report: the funnel from sent to unsubscribed, what fell out beside it, and its most clicked links. */
export default consolePage("reports.view", async function TaskReportPage(ctx, { params }: { params: Promise<{ id: string }> }) {
  const { t, locale, actor } = ctx;
  const { id } = await params;
  const report = await loadOrDeny(taskReport(ctx, id));
  if (!report) return <Forbidden message={t.errors.forbidden} />;
  const { task, funnel, topLinks, replies } = report;
  const r = t.reports.task;
  const number = (value: number) => value.toLocaleString(locale);
  const ofSent = (value: number) => format(r.ofSent, { percent: percent(funnel.sent > 0 ? value / funnel.sent : null, locale) });
  // Opens, clicks and unsubscribes are of delivered, or of sent minus bounced where the transport never confirms delivery.
  const rates = engagementRates(funnel);
  const ofBase = (value: number) =>
    format(rates.basis === "delivered" ? t.reports.rates.ofDelivered : t.reports.rates.ofReached, { percent: percent(rates.base > 0 ? value / rates.base : null, locale) });
  const share = (stage: (typeof FUNNEL)[number]) => (stage === "delivered" ? ofSent(funnel.delivered) : ofBase(funnel[stage]));
  const when = (value: string | null) => (value ? formatInZone(new Date(value), ctx.timeZone) : t.common.none);
  return (
    <div className="space-y-5">
      <PageHeader
        title={format(r.title, { name: task.name })}
        actions={
          <>
            {can(actor.role, "tasks.view") ? (
              <Link href={`/tasks/${task.id}`} className="text-sm text-indigo-600 hover:underline" data-testid="task-report-back">
                ← {r.back}
              </Link>
            ) : null}
            <DownloadLink href={`/tasks/${task.id}/report/links`} label={t.reports.downloadCsv} />
          </>
        }
      >
        <span className="flex flex-wrap items-center gap-2">
          <TaskStatusBadge status={task.status} labels={t.tasks.statuses} />
          <span>{task.department}</span>
          <span>
            {t.tasks.startedAt}: {when(task.startedAt)} · {t.tasks.finishedAt}: {when(task.finishedAt)}
          </span>
        </span>
      </PageHeader>
      <div className="grid gap-4 xl:grid-cols-2">
        <Card title={r.funnel} testId="task-funnel">
          <ol className="space-y-2 text-sm">
            {FUNNEL.map((stage) => (
              <li key={stage} className="flex items-baseline justify-between gap-3" data-testid={`funnel-${stage}`}>
                <span className="text-slate-600">{r.stages[stage]}</span>
                <span className="tabular-nums">
                  <span className="font-semibold text-slate-900" data-testid={`funnel-${stage}-count`}>
                    {number(funnel[stage])}
                  </span>
                  {stage === "sent" ? null : <span className="ml-2 text-xs text-slate-500">{share(stage)}</span>}
                </span>
              </li>
            ))}
          </ol>
          {funnel.delivered === 0 && funnel.sent > 0 ? (
            <p className="mt-3 rounded-md bg-slate-50 px-3 py-2 text-xs text-slate-600" data-testid="delivered-hint">
              {r.deliveredHint} {format(t.reports.rates.basisReached, { count: number(rates.base) })}
            </p>
          ) : null}
          <dl className="mt-4 grid grid-cols-2 gap-2 border-t border-slate-100 pt-3 text-sm sm:grid-cols-5">
            {BESIDE.map((key) => (
              <div key={key} data-testid={`funnel-${key}`}>
                <dt className="text-xs text-slate-500">{r.stages[key]}</dt>
                <dd className="font-medium tabular-nums text-slate-900">{number(funnel[key])}</dd>
              </div>
            ))}
          </dl>
          {replies ? (
            <p className="mt-3 border-t border-slate-100 pt-3 text-sm text-slate-700" data-testid="task-report-replies">
              {format(r.replies, { replied: number(replies.replied), rate: ofSent(replies.replied), automatic: number(replies.autoReplied) })}
            </p>
          ) : null}
        </Card>
        <FunnelChart
          stages={FUNNEL.map((stage) => ({ key: stage, label: r.stages[stage], count: funnel[stage] }))}
          locale={locale}
          labels={{ title: r.funnel, messages: t.reports.charts.messages, empty: t.reports.charts.empty }}
        />
      </div>
      <section className="space-y-2">
        <h2 className="text-sm font-semibold text-slate-900">{r.topLinks}</h2>
        <DataTable
          testId="top-links-table"
          columns={[
            r.url,
            { label: r.uniqueClicks, className: "text-right" },
            { label: r.clicks, className: "text-right" },
            { label: r.machineClicks, className: "text-right" },
          ]}
          rows={topLinks}
          empty={r.noLinks}
        >
          {(link) => (
            <tr key={link.url} data-testid="top-link-row">
              <Td className="max-w-xl truncate">
                <a href={link.url} className="text-indigo-600 hover:underline" rel="noreferrer noopener" target="_blank">
                  {link.url}
                </a>
              </Td>
              <Td className="text-right tabular-nums">{number(link.uniqueClicks)}</Td>
              <Td className="text-right tabular-nums">{number(link.clicks)}</Td>
              <Td className="text-right tabular-nums text-slate-500">{number(link.machineClicks)}</Td>
            </tr>
          )}
        </DataTable>
      </section>
    </div>
  );
});
