import type { ReactNode } from "react";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { DataTable } from "@/components/ui/data-table";
import { Td } from "@/components/ui/table";
import { format, type Messages } from "@/lib/i18n";
import { DownloadLink } from "./download-link";
import { reportHref, type ReportQuery } from "./report-query";
import { ReportTabs } from "./report-tabs";

/** Where the rows on screen sit among the table's rows. */
export type ReportPageOfRows = { page: number; hasMore: boolean; first: number; last: number; total: number };

/**
 * What 群发统计 and 投递失败统计 share around their own charts and table: the header with the CSV link
 * (for the same query) and the period heading, the tabs, the page's period controls, a custom range that could not be read,
 * and, below the page's content, which rows are shown and the links to the other pages.
 */
export function ReportLayout({
  t,
  locale,
  current,
  report,
  query,
  controls,
  error,
  rows,
  children,
}: {
  t: Messages;
  locale: string;
  current: "sends" | "failures";
  /** The period shown and the messages it counts, for the heading. */
  report: { from: string; to: string; total: number };
  query: ReportQuery;
  controls: ReactNode;
  error: string | null;
  rows: ReportPageOfRows;
  children: ReactNode;
}) {
  const r = t.reports;
  const { title, heading, csvPath, rowsTestId } = {
    sends: { title: r.title, heading: r.sendHeading, csvPath: "/reports/export/sends", rowsTestId: "send-report-rows" },
    failures: { title: r.failuresTitle, heading: r.failureHeading, csvPath: "/reports/export/failures", rowsTestId: "failure-report-rows" },
  }[current];
  return (
    <div className="space-y-4">
      <PageHeader title={title} actions={<DownloadLink href={reportHref(csvPath, query)} label={r.downloadCsv} />}>
        <span data-testid="report-heading">{format(heading, { from: report.from, to: report.to, total: report.total.toLocaleString(locale) })}</span>
      </PageHeader>
      <ReportTabs current={current} query={query} labels={r.tabs} />
      {controls}
      {error ? (
        <p className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800" role="alert" data-testid="report-range-error">
          {format(r.invalidRange, { reason: error })}
        </p>
      ) : null}
      {children}
      <div className="flex items-start justify-between gap-3 text-sm text-slate-500">
        <span className="mt-4" data-testid={rowsTestId}>{format(r.rowsShown, { first: rows.first, last: rows.last, total: rows.total })}</span>
        <Pagination page={rows.page} hasMore={rows.hasMore} params={query} labels={t.common} />
      </div>
    </div>
  );
}

/**
 * A report's table: its columns (the one marked `total` right-aligned and summed in the footer),
 * a line when the page has no rows, the rows, and the total row, whose label spans the columns
 * before the total and whose `after` cells fill the columns after it.
 */
export function ReportTable<Row>({
  testId,
  columns,
  rows,
  emptyLabel,
  total,
  children,
}: {
  testId: string;
  columns: { label: string; total?: boolean }[];
  rows: readonly Row[];
  emptyLabel: string;
  total: { label: string; value: string; testId: string; after?: ReactNode };
  children: (row: Row) => ReactNode;
}) {
  const totalColumn = columns.findIndex((column) => column.total);
  return (
    <DataTable
      testId={testId}
      columns={columns.map((column) => ({ label: column.label, className: column.total ? "text-right" : undefined }))}
      rows={rows}
      empty={emptyLabel}
      footer={
        <tfoot className="border-t border-slate-200 bg-slate-50 font-medium">
          <tr>
            <Td colSpan={totalColumn}>{total.label}</Td>
            <Td className="text-right tabular-nums" data-testid={total.testId}>
              {total.value}
            </Td>
            {total.after}
          </tr>
        </tfoot>
      }
    >
      {children}
    </DataTable>
  );
}
