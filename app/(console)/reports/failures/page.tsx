import Link from "next/link";
import { FailureCategoriesChart } from "@/components/charts/failure-categories-chart";
import { PeriodSwitch } from "@/components/reports/period-switch";
import { ReportLayout, ReportTable } from "@/components/reports/report-layout";
import { rangeQuery, reportHref } from "@/components/reports/report-query";
import { Td } from "@/components/ui/table";
import { consolePage } from "@/app/(console)/_page/console-page";
import { pageNumber } from "@/app/(console)/_page/search-params";
import { format } from "@/lib/i18n";
import { PERIODS } from "@/lib/reports/periods";
import { failureCategoriesPerDay, failureReport } from "@/lib/reports/queries";
import { TOP_RECIPIENT_DOMAINS } from "@/lib/reports/recipient-failures";
import { readChannel } from "@/lib/reports/channel-dimension";
import { ChannelSwitch, domainLabel } from "../channel-breakdown";
import { pageOf, readBy, readRange, type SearchParams } from "../range";

const toggleClass = (active: boolean) =>
  `px-2.5 py-1 first:rounded-l-md last:rounded-r-md ring-1 ring-inset ring-slate-300 ${active ? "bg-slate-800 text-white ring-slate-800" : "text-slate-600 hover:bg-slate-50"}`;

/** 投递失败统计: failed messages per day, department and sender (or recipient) domain, with their categories. */
export default consolePage("reports.view", async function FailureReportPage(ctx, { searchParams }: { searchParams: Promise<SearchParams> }) {
  const { t, locale } = ctx;
  const params = await searchParams;
  const { range, error } = readRange(params, ctx.timeZone);
  const by = readBy(params.by);
  const channel = readChannel(params.channel);
  const [report, categories] = await Promise.all([failureReport(ctx, range, by, channel), failureCategoriesPerDay(ctx, range, channel)]);
  const query = { ...rangeQuery(range), by: by === "recipient" ? "recipient" : undefined, channel: channel ?? undefined };
  const table = pageOf(report.rows, pageNumber(params.page));
  const number = (value: number) => value.toLocaleString(locale);
  const r = t.reports;
  const totals = report.rows.reduce(
    (sum, row) => ({
      user_unknown: sum.user_unknown + row.user_unknown,
      mailbox_full: sum.mailbox_full + row.mailbox_full,
      rejected: sum.rejected + row.rejected,
      other: sum.other + row.other,
    }),
    { user_unknown: 0, mailbox_full: 0, rejected: 0, other: 0 },
  );
  const details = (row: typeof totals) =>
    format(r.details, { user_unknown: number(row.user_unknown), mailbox_full: number(row.mailbox_full), rejected: number(row.rejected), other: number(row.other) });
  return (
    <ReportLayout
      t={t}
      locale={locale}
      current="failures"
      report={report}
      query={query}
      controls={
        <div className="flex flex-wrap items-end justify-between gap-3">
          <PeriodSwitch path="/reports/failures" periods={PERIODS} range={range} keep={{ by: query.by, channel: query.channel }} labels={r} />
          <ChannelSwitch path="/reports/failures" channel={channel} query={query} t={t} />
          <nav className="flex text-sm" aria-label={r.columns.domain} data-testid="failure-by">
            <Link className={toggleClass(by === "sender")} href={reportHref("/reports/failures", { ...query, by: undefined })} data-testid="failure-by-sender">
              {r.bySender}
            </Link>
            <Link className={toggleClass(by === "recipient")} href={reportHref("/reports/failures", { ...query, by: "recipient" })} data-testid="failure-by-recipient">
              {r.byRecipient}
            </Link>
          </nav>
        </div>
      }
      error={error}
      rows={table}
    >
      {by === "recipient" && (
        <p className="text-sm text-slate-600" data-testid="failure-top-domains-note">
          {format(r.topDomainsNote, { count: TOP_RECIPIENT_DOMAINS })}
        </p>
      )}
      <FailureCategoriesChart
        points={categories}
        locale={locale}
        labels={{ title: r.charts.failuresPerDay, date: r.charts.date, messages: r.charts.messages, empty: r.charts.empty, categories: r.categories }}
      />
      <ReportTable
        testId="failure-report-table"
        columns={[
          { label: r.columns.date },
          { label: r.columns.department },
          { label: by === "recipient" ? r.columns.recipientDomain : r.columns.senderDomain },
          { label: r.columns.failed, total: true },
          { label: r.columns.details },
        ]}
        emptyLabel={r.charts.empty}
        total={{
          label: r.total,
          value: number(report.total),
          testId: "failure-report-total",
          after: (
            <Td className="whitespace-normal text-slate-600" data-testid="failure-details-total">
              {details(totals)}
            </Td>
          ),
        }}
        rows={table.rows}
      >
        {(row) => (
          <tr key={`${row.date}|${row.departmentId}|${row.domain}`} data-testid="failure-report-row">
            <Td className="tabular-nums">{row.date}</Td>
            <Td>{row.department}</Td>
            <Td className={row.others ? "italic text-slate-600" : undefined}>{row.others ? r.otherDomains : domainLabel(row.domain, t)}</Td>
            <Td className="text-right tabular-nums">{number(row.failed)}</Td>
            <Td className="whitespace-normal text-slate-600" data-testid="failure-details">
              {details(row)}
            </Td>
          </tr>
        )}
      </ReportTable>
    </ReportLayout>
  );
});
