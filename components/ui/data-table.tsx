import type { ReactNode } from "react";
import { EmptyRow, Table, Th } from "./table";

export type Column = string | { label: string; className?: string };

/**
 * A table of records: a header cell per column (a falsy column is left out, like the department
 * column only some roles see), one line saying so when there are no rows, then a row per record.
 */
export function DataTable<Row>({
  testId,
  columns,
  rows,
  empty,
  footer,
  children,
}: {
  testId?: string;
  columns: readonly (Column | false | null)[];
  rows: readonly Row[];
  empty: ReactNode;
  footer?: ReactNode;
  children: (row: Row) => ReactNode;
}) {
  const shown = columns.filter((column): column is Column => Boolean(column)).map((column) => (typeof column === "string" ? { label: column } : column));
  return (
    <Table testId={testId}>
      <thead>
        <tr>
          {shown.map((column, index) => (
            <Th key={index} className={column.className}>
              {column.label}
            </Th>
          ))}
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {rows.length === 0 ? <EmptyRow colSpan={shown.length}>{empty}</EmptyRow> : null}
        {rows.map(children)}
      </tbody>
      {footer}
    </Table>
  );
}
