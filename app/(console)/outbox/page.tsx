import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { PageHeader } from "@/components/ui/page-header";
import { KeysetNav } from "@/components/ui/pagination";
import { DataTable } from "@/components/ui/data-table";
import { Td, TimeCell } from "@/components/ui/table";
import { consolePage } from "@/app/(console)/_page/console-page";
import { firstParam } from "@/app/(console)/_page/search-params";
import { isOutboxCursor, listOutbox } from "@/lib/outbox/messages";

export default consolePage("senders.manage", async function OutboxPage(ctx, { searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { t } = ctx;
  const params = await searchParams;
  const cursor = (name: string) => {
    const value = firstParam(params[name]);
    return value && isOutboxCursor(value) ? value : undefined;
  };
  const { rows, nextBefore, previousAfter } = await listOutbox(ctx, { before: cursor("before"), after: cursor("after") });
  return (
    <div className="space-y-4">
      <PageHeader title={t.outbox.title}>{t.outbox.explain}</PageHeader>
      <DataTable testId="outbox-table" columns={[t.outbox.at, t.outbox.kind, t.outbox.from, t.outbox.to, t.templates.subject]} rows={rows} empty={t.common.noRows}>
        {(row) => (
          <tr key={row.id}>
            <TimeCell at={row.createdAt} timeZone={ctx.timeZone} />
            <Td>
              <Badge>{row.kind}</Badge>
            </Td>
            <Td>{row.fromAddress}</Td>
            <Td>{row.toAddress}</Td>
            <Td className="max-w-md truncate">
              <Link className="text-indigo-600 hover:underline" href={`/outbox/${row.id}`}>
                {row.subject}
              </Link>
            </Td>
          </tr>
        )}
      </DataTable>
      <KeysetNav
        previous={previousAfter ? { href: `?after=${encodeURIComponent(previousAfter)}`, label: t.common.previous } : null}
        next={nextBefore ? { href: `?before=${encodeURIComponent(nextBefore)}`, label: t.common.next } : null}
      />
    </div>
  );
});
