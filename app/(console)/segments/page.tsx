import Link from "next/link";
import { DataTable } from "@/components/ui/data-table";
import { LinkButton } from "@/components/ui/link-button";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { Td } from "@/components/ui/table";
import { listSegments } from "@/lib/audiences/segments/store";
import { consolePage } from "@/app/(console)/_page/console-page";
import { pageNumber } from "@/app/(console)/_page/search-params";
import { DeleteSegmentButton } from "./segment-row";

const PAGE_SIZE = 20;

/** 分群: the department's segments (an admin's: every department's), each with the contacts its rule holds now. */
export default consolePage("segments.manage", async function SegmentsPage(ctx, { searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { t, actor } = ctx;
  const words = t.segments;
  const page = pageNumber((await searchParams).page);
  // One more than a page says whether there is a next one.
  const rows = await listSegments(ctx, { offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE + 1, counts: true });
  const shown = rows.slice(0, PAGE_SIZE);
  const showDepartment = actor.role === "admin";
  return (
    <div className="space-y-5">
      <PageHeader title={words.title} actions={<LinkButton href="/segments/new" testId="segment-new">{words.new}</LinkButton>} />
      <p className="max-w-3xl text-sm text-slate-600">{words.intro}</p>
      <DataTable
        testId="segments-table"
        columns={[showDepartment && t.common.department, words.name, words.description, { label: words.count, className: "text-right" }, words.actions]}
        rows={shown}
        empty={words.none}
      >
        {(segment) => (
          <tr key={segment.id} data-testid={`segment-row-${segment.name}`}>
            {showDepartment ? <Td>{segment.departmentName}</Td> : null}
            <Td className="font-medium text-slate-900">
              <Link className="text-indigo-600 hover:underline" href={`/segments/${segment.id}`}>
                {segment.name}
              </Link>
            </Td>
            <Td className="max-w-xs truncate">{segment.description || t.common.none}</Td>
            <Td className="text-right tabular-nums" data-testid={`segment-count-${segment.name}`}>
              {(segment.count ?? 0).toLocaleString(ctx.locale)}
            </Td>
            <Td>
              <DeleteSegmentButton id={segment.id} name={segment.name} />
            </Td>
          </tr>
        )}
      </DataTable>
      <Pagination page={page} hasMore={rows.length > PAGE_SIZE} params={{}} labels={t.common} />
    </div>
  );
});
