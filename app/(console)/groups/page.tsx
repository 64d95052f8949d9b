import Link from "next/link";
import { consolePage } from "@/app/(console)/_page/console-page";
import { pageNumber } from "@/app/(console)/_page/search-params";
import { Badge } from "@/components/ui/badge";
import { DataTable } from "@/components/ui/data-table";
import { LinkButton } from "@/components/ui/link-button";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { Td, TimeCell } from "@/components/ui/table";
import { can } from "@/lib/access/policy";
import { listGroups } from "@/lib/groups/groups";

const PAGE_SIZE = 20;

/** 群组地址: the groups of the departments the caller reads, newest first; managers read, department users and admins change. */
export default consolePage("tasks.view", async function GroupsPage(ctx, { searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { t, actor } = ctx;
  const words = t.groups;
  const page = pageNumber((await searchParams).page);
  const rows = await listGroups(ctx, { offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE + 1 });
  const shown = rows.slice(0, PAGE_SIZE);
  const showDepartment = actor.role !== "department";
  return (
    <div className="space-y-4">
      <PageHeader title={words.title} actions={can(actor.role, "pools.manage") ? <LinkButton href="/groups/new" testId="new-group">{words.new}</LinkButton> : null} />
      <p className="max-w-3xl text-sm text-slate-600">{words.intro}</p>
      <DataTable
        testId="groups-table"
        columns={[showDepartment && t.common.department, words.columns.address, words.columns.name, words.columns.pool, words.columns.posting, words.columns.held, words.columns.posts, words.columns.created]}
        rows={shown}
        empty={words.none}
      >
        {(group) => (
          <tr key={group.id} data-testid={`group-row-${group.address}`}>
            {showDepartment ? <Td>{group.departmentName}</Td> : null}
            <Td>
              <Link className="font-medium text-indigo-700 hover:underline" href={`/groups/${group.id}`} data-testid="group-link">
                {group.address}
              </Link>
              {group.enabled ? null : (
                <span className="ml-2">
                  <Badge tone="red">{words.disabled}</Badge>
                </span>
              )}
            </Td>
            <Td>{group.name}</Td>
            <Td>{group.poolName}</Td>
            <Td>{words.posting[group.posting]}</Td>
            <Td className="tabular-nums" data-testid="group-held">
              {group.held > 0 ? <Badge tone="amber">{group.held}</Badge> : 0}
            </Td>
            <Td className="tabular-nums">{group.sent}</Td>
            <TimeCell at={group.createdAt} timeZone={ctx.timeZone} />
          </tr>
        )}
      </DataTable>
      <Pagination page={page} hasMore={rows.length > PAGE_SIZE} params={{}} labels={t.common} />
    </div>
  );
});
