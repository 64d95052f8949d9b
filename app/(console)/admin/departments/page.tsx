import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { EmptyRow, Table, Td, Th } from "@/components/ui/table";
import { listDepartments } from "@/lib/accounts/departments";
import { consolePage } from "@/app/(console)/_page/console-page";
import { pageNumber } from "@/app/(console)/_page/search-params";
import { format } from "@/lib/i18n";
import { DepartmentForm } from "./department-form";

const PAGE_SIZE = 50;

export default consolePage("department.list", async function DepartmentsPage(ctx, { searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { t } = ctx;
  const page = pageNumber((await searchParams).page);
  const { rows, total } = await listDepartments(ctx, { offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE });
  const number = (value: number | null) => (value === null ? t.common.unlimited : value.toLocaleString(ctx.locale));
  return (
    <div className="space-y-5">
      <PageHeader title={t.departments.title}>{format(t.common.showing, { count: rows.length, total })}</PageHeader>
      <Card title={t.departments.new}>
        <DepartmentForm />
      </Card>
      <Table testId="departments-table">
        <thead>
          <tr>
            <Th>{t.common.name}</Th>
            <Th>{t.common.description}</Th>
            <Th className="text-right">{t.departments.quota}</Th>
            <Th className="text-right">{t.departments.used}</Th>
            <Th className="text-right">{t.departments.remaining}</Th>
            <Th className="text-right">{t.departments.users}</Th>
            <Th>{t.common.status}</Th>
            <Th>{t.common.actions}</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rows.length === 0 ? <EmptyRow colSpan={8}>{t.common.noRows}</EmptyRow> : null}
          {rows.map((row) => (
            <tr key={row.id} data-testid={`department-row-${row.name}`}>
              <Td className="font-medium text-slate-900">{row.name}</Td>
              <Td className="max-w-xs truncate">{row.description || t.common.none}</Td>
              <Td className="text-right tabular-nums">{number(row.quotaAllocated)}</Td>
              <Td className="text-right tabular-nums">{number(row.quotaUsed)}</Td>
              <Td className="text-right tabular-nums">{number(row.quotaRemaining)}</Td>
              <Td className="text-right tabular-nums">{row.userCount}</Td>
              <Td>{row.disabled ? <Badge tone="red">{t.common.disabled}</Badge> : <Badge tone="green">{t.common.active}</Badge>}</Td>
              <Td>
                <DepartmentForm department={row} />
              </Td>
            </tr>
          ))}
        </tbody>
      </Table>
      <Pagination
        page={page}
        hasMore={page * PAGE_SIZE < total}
        params={{}}
        labels={{ previous: t.common.previous, next: t.common.next, page: format(t.common.page, { page }) }}
      />
    </div>
  );
});
