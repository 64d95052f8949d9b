import { DataTable } from "@/components/ui/data-table";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { Td, TimeCell } from "@/components/ui/table";
import { consolePage } from "@/app/(console)/_page/console-page";
import { firstParam } from "@/app/(console)/_page/search-params";
import { listTags } from "@/lib/audiences/tags";
import { TagRowActions } from "./tag-row-actions";

const PAGE_SIZE = 50;

/** 标签管理: the vocabulary of the caller's department (an admin's: every department's), each tag with its contacts, renamed or deleted here. */
export default consolePage("pools.manage", async function TagsPage(ctx, { searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { t, actor } = ctx;
  const params = await searchParams;
  const page = Math.max(1, Number(firstParam(params.page)) || 1);
  const rows = await listTags(ctx, { offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE + 1 });
  return (
    <div className="space-y-5">
      <PageHeader title={t.tags.title} />
      <p className="text-sm text-slate-500">{t.tags.hint}</p>
      <DataTable
        testId="tags-table"
        columns={[actor.role === "admin" && t.common.department, t.tags.name, t.tags.contacts, t.tags.created, t.common.actions]}
        rows={rows.slice(0, PAGE_SIZE)}
        empty={t.common.noRows}
      >
        {(tag) => (
          <tr key={tag.id} data-testid={`tag-row-${tag.name}`}>
            {actor.role === "admin" ? <Td>{tag.departmentName}</Td> : null}
            <Td className="font-medium text-slate-900">{tag.name}</Td>
            <Td>{tag.contacts.toLocaleString(ctx.locale)}</Td>
            <TimeCell at={tag.createdAt} timeZone={ctx.timeZone} />
            <Td>
              <TagRowActions tag={{ id: tag.id, name: tag.name, contacts: tag.contacts }} />
            </Td>
          </tr>
        )}
      </DataTable>
      <Pagination page={page} hasMore={rows.length > PAGE_SIZE} params={{}} labels={{ previous: t.common.previous, next: t.common.next, page: t.common.page }} />
    </div>
  );
});
