import type { ReactNode } from "react";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { EmptyRow, Table, Td, Th } from "@/components/ui/table";
import { format, type Messages } from "@/lib/i18n";
import { DownloadLink } from "./download-link";
import type { ReportQuery } from "./report-query";
import { ReportTabs } from "./report-tabs";

/** Where the rows on screen sit among the table's rows. */
export type ReportPageOfRows = { page: number; hasMore: boolean; first: number; last: number; total: number };

/**
 * What 群发统计 and 投递失败统计 share around their own charts and table: the header with the CSV link
 * and the period heading, the tabs, the page's period controls, a custom range that could not be read,
 * and, below the page's content, which rows are shown and the links to the other pages.
 */
export function ReportLayout({
  t,
  current,
  title,
  heading,
  csvHref,
  query,
  controls,
  error,
  rows,
  rowsTestId,
  children,
}: {
  t: Messages;
  current: "sends" | "failures";
  title: string;
  heading: string;
  csvHref: string;
  query: ReportQuery;
  controls: ReactNode;
  error: string | null;
  rows: ReportPageOfRows;
  rowsTestId: string;
  children: ReactNode;
}) {
  const r = t.reports;
  return (
    <div className="space-y-4">
      <PageHeader title={title} actions={<DownloadLink href={csvHref} label={r.downloadCsv} />}>
        <span data-testid="report-heading">{heading}</span>
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
        <Pagination
          page={rows.page}
          hasMore={rows.hasMore}
          params={query}
          labels={{ previous: t.common.previous, next: t.common.next, page: format(t.common.page, { page: rows.page }) }}
        />
      </div>
    </div>
  );
}

/**
 * A report's table: its columns (the one marked `total` right-aligned and summed in the footer),
 * a line when the page has no rows, the rows, and the total row, whose label spans the columns
 * before the total and whose `after` cells fill the columns after it.
 */
export function ReportTable({
  testId,
  columns,
  emptyLabel,
  total,
  children,
}: {
  testId: string;
  columns: { label: string; total?: boolean }[];
  emptyLabel: string;
  total: { label: string; value: string; testId: string; after?: ReactNode };
  children: ReactNode[];
}) {
  const totalColumn = columns.findIndex((column) => column.total);
  return (
    <Table testId={testId}>
      <thead>
        <tr>
          {columns.map((column, index) => (
            <Th key={index} className={column.total ? "text-right" : undefined}>
              {column.label}
            </Th>
          ))}
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {children.length === 0 ? <EmptyRow colSpan={columns.length}>{emptyLabel}</EmptyRow> : null}
        {children}
      </tbody>
      <tfoot className="border-t border-slate-200 bg-slate-50 font-medium">
        <tr>
          <Td colSpan={totalColumn}>{total.label}</Td>
          <Td className="text-right tabular-nums" data-testid={total.testId}>
            {total.value}
          </Td>
          {total.after}
        </tr>
      </tfoot>
    </Table>
  );
}
