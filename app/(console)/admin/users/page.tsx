import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { EmptyRow, Table, Td, Th } from "@/components/ui/table";
import { listDepartments } from "@/lib/accounts/departments";
import { listUsers } from "@/lib/accounts/users";
import { consolePage } from "@/app/(console)/_page/console-page";
import { pageNumber } from "@/app/(console)/_page/search-params";
import { format } from "@/lib/i18n";
import { formatInZone } from "@/lib/time/zone";
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
      <Table testId="users-table">
        <thead>
          <tr>
            <Th>{t.common.email}</Th>
            <Th>{t.common.name}</Th>
            <Th>{t.common.role}</Th>
            <Th>{t.common.department}</Th>
            <Th>{t.common.status}</Th>
            <Th>{t.users.lastLogin}</Th>
            <Th>{t.common.actions}</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rows.length === 0 ? <EmptyRow colSpan={7}>{t.common.noRows}</EmptyRow> : null}
          {rows.map((row) => (
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
              <Td>{row.disabled ? <Badge tone="red">{t.common.disabled}</Badge> : <Badge tone="green">{t.common.active}</Badge>}</Td>
              <Td className="tabular-nums">{row.lastLoginAt ? formatInZone(row.lastLoginAt, ctx.timeZone) : t.common.none}</Td>
              <Td>
                <UserRowActions user={row} departments={departmentOptions} />
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
