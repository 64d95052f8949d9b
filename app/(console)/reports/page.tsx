import { EngagementChart } from "@/components/charts/engagement-chart";
import { SendsPerDayChart } from "@/components/charts/sends-per-day-chart";
import { DownloadLink } from "@/components/reports/download-link";
import { PeriodSwitch } from "@/components/reports/period-switch";
import { ReportTabs } from "@/components/reports/report-tabs";
import { rangeQuery, reportHref } from "@/components/reports/report-query";
import { SummaryTiles } from "@/components/reports/summary-tiles";
import { Forbidden } from "@/components/ui/forbidden";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { EmptyRow, Table, Td, Th } from "@/components/ui/table";
import { consolePage, pageNumber } from "@/lib/console/page";
import { format } from "@/lib/i18n";
import { PERIODS } from "@/lib/reports/periods";
import { engagementPerDay, reportSummary, sendReport, sendsPerDay } from "@/lib/reports/queries";
import { pageOf, readRange, type SearchParams } from "./range";

/** 群发统计: what the caller's departments sent in a period, by day, department, IP and sender domain. */
export default async function SendReportPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const ctx = await consolePage("reports.view");
  const { t, locale, allowed } = ctx;
  if (!allowed) return <Forbidden message={t.errors.forbidden} />;
  const params = await searchParams;
  const { range, error } = readRange(params, ctx.timeZone);
  const [report, perDay, engagement, summary] = await Promise.all([
    sendReport(ctx, range),
    sendsPerDay(ctx, range),
    engagementPerDay(ctx, range),
    reportSummary(ctx, range),
  ]);
  const query = rangeQuery(range);
  const table = pageOf(report.rows, pageNumber(params.page));
  const number = (value: number) => value.toLocaleString(locale);
  const count = (value: number) => format(t.reports.count, { count: number(value) });
  const r = t.reports;
  return (
    <div className="space-y-4">
      <PageHeader title={r.title} actions={<DownloadLink href={reportHref("/reports/export/sends", query)} label={r.downloadCsv} />}>
        <span data-testid="report-heading">{format(r.sendHeading, { from: report.from, to: report.to, total: number(report.total) })}</span>
      </PageHeader>
      <ReportTabs current="sends" query={query} labels={r.tabs} />
      <PeriodSwitch path="/reports" periods={PERIODS} range={range} keep={{}} labels={r} />
      {error ? (
        <p className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800" role="alert" data-testid="report-range-error">
          {format(r.invalidRange, { reason: error })}
        </p>
      ) : null}
      <SummaryTiles summary={summary} locale={locale} labels={r.summary} deliveredHint={r.task.deliveredHint} />
      <div className="grid gap-4 xl:grid-cols-2">
        <SendsPerDayChart
          departments={perDay.departments}
          points={perDay.points}
          locale={locale}
          labels={{ title: r.charts.sendsPerDay, date: r.charts.date, messages: r.charts.messages, empty: r.charts.empty }}
        />
        <EngagementChart
          points={engagement.map(({ date, opened, clicked, machineOpened, machineClicked }) => ({ date, opened, clicked, machineOpened, machineClicked }))}
          locale={locale}
          labels={{ ...r.charts, title: r.charts.engagement }}
        />
      </div>
      <Table testId="send-report-table">
        <thead>
          <tr>
            <Th>{r.columns.date}</Th>
            <Th>{r.columns.department}</Th>
            <Th>{r.columns.ip}</Th>
            <Th>{r.columns.domain}</Th>
            <Th className="text-right">{r.columns.sent}</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {table.rows.length === 0 ? <EmptyRow colSpan={5}>{r.charts.empty}</EmptyRow> : null}
          {table.rows.map((row) => (
            <tr key={`${row.date}|${row.departmentId}|${row.ip}|${row.domain}`} data-testid="send-report-row">
              <Td className="tabular-nums">{row.date}</Td>
              <Td>{row.department}</Td>
              <Td className="tabular-nums">{row.ip || t.common.none}</Td>
              <Td>{row.domain}</Td>
              <Td className="text-right tabular-nums">{count(row.sent)}</Td>
            </tr>
          ))}
        </tbody>
        <tfoot className="border-t border-slate-200 bg-slate-50 font-medium">
          <tr>
            <Td colSpan={4}>{r.total}</Td>
            <Td className="text-right tabular-nums" data-testid="send-report-total">
              {count(report.total)}
            </Td>
          </tr>
        </tfoot>
      </Table>
      <div className="flex items-start justify-between gap-3 text-sm text-slate-500">
        <span className="mt-4" data-testid="send-report-rows">{format(r.rowsShown, { first: table.first, last: table.last, total: report.rows.length })}</span>
        <Pagination
          page={table.page}
          hasMore={table.hasMore}
          params={query}
          labels={{ previous: t.common.previous, next: t.common.next, page: format(t.common.page, { page: table.page }) }}
        />
      </div>
    </div>
  );
}
