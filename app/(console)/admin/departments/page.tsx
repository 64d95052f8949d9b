import { ActiveBadge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { DataTable } from "@/components/ui/data-table";
import { Td } from "@/components/ui/table";
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
      <DataTable
        testId="departments-table"
        columns={[
          t.common.name,
          t.common.description,
          { label: t.departments.quota, className: "text-right" },
          { label: t.departments.used, className: "text-right" },
          { label: t.departments.remaining, className: "text-right" },
          { label: t.departments.users, className: "text-right" },
          t.common.status,
          t.common.actions,
        ]}
        rows={rows}
        empty={t.common.noRows}
      >
        {(row) => (
          <tr key={row.id} data-testid={`department-row-${row.name}`}>
            <Td className="font-medium text-slate-900">{row.name}</Td>
            <Td className="max-w-xs truncate">{row.description || t.common.none}</Td>
            <Td className="text-right tabular-nums">{number(row.quotaAllocated)}</Td>
            <Td className="text-right tabular-nums">{number(row.quotaUsed)}</Td>
            <Td className="text-right tabular-nums">{number(row.quotaRemaining)}</Td>
            <Td className="text-right tabular-nums">{row.userCount}</Td>
            <Td>
              <ActiveBadge active={!row.disabled} labels={{ active: t.common.active, inactive: t.common.disabled }} />
            </Td>
            <Td>
              <DepartmentForm department={row} />
            </Td>
          </tr>
        )}
      </DataTable>
      <Pagination page={page} hasMore={page * PAGE_SIZE < total} params={{}} labels={t.common} />
    </div>
  );
});
