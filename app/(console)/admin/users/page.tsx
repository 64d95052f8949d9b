import { ActiveBadge, Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { DataTable } from "@/components/ui/data-table";
import { Td, TimeCell } from "@/components/ui/table";
import { listDepartments } from "@/lib/accounts/departments";
import { listUsers } from "@/lib/accounts/users";
import { consolePage } from "@/app/(console)/_page/console-page";
import { pageNumber } from "@/app/(console)/_page/search-params";
import { format } from "@/lib/i18n";
import { UserForm, UserRowActions } from "./user-forms";

const PAGE_SIZE = 50;

export default consolePage("user.view", async function UsersPage(ctx, { searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { t } = ctx;
  const page = pageNumber((await searchParams).page);
  const [{ rows, total }, departments] = await Promise.all([
    listUsers(ctx, { offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE }),
    listDepartments(ctx, { offset: 0, limit: 1000 }),
  ]);
  const departmentOptions = departments.rows.map((row) => ({ id: row.id, name: row.name }));
  const departmentName = new Map(departmentOptions.map((row) => [row.id, row.name]));
  return (
    <div className="space-y-5">
      <PageHeader title={t.users.title}>{format(t.common.showing, { count: rows.length, total })}</PageHeader>
      <Card title={t.users.new}>
        <UserForm departments={departmentOptions} />
      </Card>
      <DataTable
        testId="users-table"
        columns={[t.common.email, t.common.name, t.common.role, t.common.department, t.common.status, t.users.lastLogin, t.common.actions]}
        rows={rows}
        empty={t.common.noRows}
      >
        {(row) => (
          <tr key={row.id} data-testid={`user-row-${row.email}`} className="align-top">
            <Td className="font-medium text-slate-900">{row.email}</Td>
            <Td>{row.name || t.common.none}</Td>
            <Td>
              <Badge tone={row.role === "admin" ? "indigo" : "slate"}>{t.roles[row.role]}</Badge>
            </Td>
            <Td>
              {row.role === "manager"
                ? row.readsAllDepartments
                  ? t.dashboard.allDepartments
                  : row.managedDepartmentIds.map((id) => departmentName.get(id)).join(", ") || t.common.none
                : (row.departmentName ?? t.common.none)}
            </Td>
            <Td>
              <ActiveBadge active={!row.disabled} labels={{ active: t.common.active, inactive: t.common.disabled }} />
            </Td>
            <TimeCell at={row.lastLoginAt} timeZone={ctx.timeZone} none={t.common.none} />
            <Td>
              <UserRowActions user={row} departments={departmentOptions} />
            </Td>
          </tr>
        )}
      </DataTable>
      <Pagination page={page} hasMore={page * PAGE_SIZE < total} params={{}} labels={t.common} />
    </div>
  );
});
