import { EngagementChart } from "@/components/charts/engagement-chart";
import { SendsPerDayChart } from "@/components/charts/sends-per-day-chart";
import { PeriodSwitch } from "@/components/reports/period-switch";
import { ReportLayout, ReportTable } from "@/components/reports/report-layout";
import { rangeQuery } from "@/components/reports/report-query";
import { SummaryTiles } from "@/components/reports/summary-tiles";
import { Td } from "@/components/ui/table";
import { consolePage } from "@/app/(console)/_page/console-page";
import { pageNumber } from "@/app/(console)/_page/search-params";
import { format } from "@/lib/i18n";
import { readChannel } from "@/lib/reports/channel-dimension";
import { channelBreakdown } from "@/lib/reports/channels";
import { PERIODS } from "@/lib/reports/periods";
import { engagementPerDay, reportSummary, sendReport, sendsPerDay } from "@/lib/reports/queries";
import { ChannelBreakdown, ChannelSwitch, domainLabel } from "./channel-breakdown";
import { pageOf, readRange, type SearchParams } from "./range";

/** 群发统计: what the caller's departments sent in a period, by day, department, IP and sender domain. */
export default consolePage("reports.view", async function SendReportPage(ctx, { searchParams }: { searchParams: Promise<SearchParams> }) {
  const { t, locale } = ctx;
  const params = await searchParams;
  const { range, error } = readRange(params, ctx.timeZone);
  const channel = readChannel(params.channel);
  const [report, perDay, engagement, summary, byChannel] = await Promise.all([
    sendReport(ctx, range, channel),
    sendsPerDay(ctx, range, channel),
    engagementPerDay(ctx, range, channel),
    reportSummary(ctx, range, channel),
    channelBreakdown(ctx, range, channel),
  ]);
  const query = { ...rangeQuery(range), channel: channel ?? undefined };
  const table = pageOf(report.rows, pageNumber(params.page));
  const number = (value: number) => value.toLocaleString(locale);
  const count = (value: number) => format(t.reports.count, { count: number(value) });
  const r = t.reports;
  return (
    <ReportLayout
      t={t}
      locale={locale}
      current="sends"
      report={report}
      query={query}
      controls={
        <div className="space-y-2">
          <PeriodSwitch path="/reports" periods={PERIODS} range={range} keep={{ channel: query.channel }} labels={r} />
          <ChannelSwitch channel={channel} query={query} t={t} />
        </div>
      }
      error={error}
      rows={table}
    >
      <SummaryTiles summary={summary} locale={locale} labels={r.summary} rateLabels={r.rates} />
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
      <ChannelBreakdown rows={byChannel.rows} reasons={byChannel.reasons} locale={locale} t={t} />
      <ReportTable
        testId="send-report-table"
        columns={[{ label: r.columns.date }, { label: r.columns.department }, { label: r.columns.ip }, { label: r.columns.domain }, { label: r.columns.sent, total: true }]}
        emptyLabel={r.charts.empty}
        total={{ label: r.total, value: count(report.total), testId: "send-report-total" }}
        rows={table.rows}
      >
        {(row) => (
          <tr key={`${row.date}|${row.departmentId}|${row.ip}|${row.domain}`} data-testid="send-report-row">
            <Td className="tabular-nums">{row.date}</Td>
            <Td>{row.department}</Td>
            <Td className="tabular-nums">{row.ip || t.common.none}</Td>
            <Td>{domainLabel(row.domain, t)}</Td>
            <Td className="text-right tabular-nums">{count(row.sent)}</Td>
          </tr>
        )}
      </ReportTable>
    </ReportLayout>
  );
});
