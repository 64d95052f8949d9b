import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { PageHeader } from "@/components/ui/page-header";
import { KeysetNav } from "@/components/ui/pagination";
import { EmptyRow, Table, Td, Th } from "@/components/ui/table";
import { consolePage } from "@/app/(console)/_page/console-page";
import { firstParam } from "@/app/(console)/_page/search-params";
import { listOutbox } from "@/lib/outbox/messages";
import { formatInZone } from "@/lib/time/zone";

export default consolePage("senders.manage", async function OutboxPage(ctx, { searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { t } = ctx;
  const before = firstParam((await searchParams).before);
  const { rows, nextBefore } = await listOutbox(ctx, before && !Number.isNaN(Date.parse(before)) ? new Date(before) : undefined);
  return (
    <div className="space-y-4">
      <PageHeader title={t.outbox.title}>{t.outbox.explain}</PageHeader>
      <Table testId="outbox-table">
        <thead>
          <tr>
            <Th>{t.outbox.at}</Th>
            <Th>{t.outbox.kind}</Th>
            <Th>{t.outbox.from}</Th>
            <Th>{t.outbox.to}</Th>
            <Th>{t.templates.subject}</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rows.length === 0 ? <EmptyRow colSpan={5}>{t.common.noRows}</EmptyRow> : null}
          {rows.map((row) => (
            <tr key={row.id}>
              <Td className="tabular-nums">{formatInZone(row.createdAt, ctx.timeZone)}</Td>
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
          ))}
        </tbody>
      </Table>
      <KeysetNav next={nextBefore ? { href: `?before=${encodeURIComponent(nextBefore)}`, label: t.common.next } : null} />
    </div>
  );
});
