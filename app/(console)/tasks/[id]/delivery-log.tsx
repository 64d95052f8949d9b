import Link from "next/link";
import { DeliveryStatusBadge } from "@/components/logs/delivery-status-badge";
import { Button } from "@/components/ui/button";
import { Input, Select } from "@/components/ui/field";
import { KeysetNav } from "@/components/ui/pagination";
import { EmptyRow, Table, Td, Th } from "@/components/ui/table";
import { BOUNCE_CATEGORIES, DELIVERY_STATUSES } from "@/db/schema";
import type { PageContext } from "@/app/(console)/_page/console-page";
import { listDeliveries } from "@/lib/sending/deliveries";
import { formatInZone } from "@/lib/time/zone";

type Params = { q?: string; status?: string; category?: string; cursor?: string };

/** 数据投递日志: one row per recipient, searchable by address, filtered by status and failure category, keyset pages. */
export async function DeliveryLog({ ctx, taskId, params }: { ctx: PageContext; taskId: string; params: Params }) {
  const { t } = ctx;
  const status = DELIVERY_STATUSES.find((value) => value === params.status);
  const category = BOUNCE_CATEGORIES.find((value) => value === params.category);
  const cursor = params.cursor && /^\d+$/.test(params.cursor) ? params.cursor : undefined;
  const page = await listDeliveries(ctx, taskId, { q: params.q, status, category, cursor });
  const basePath = `/tasks/${taskId}`;
  const href = (extra: Record<string, string | undefined> = {}) => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries({ q: params.q, status, category, ...extra })) if (value) search.set(key, value);
    const text = search.toString();
    return `${basePath}${text ? `?${text}` : ""}#deliveries`;
  };
  return (
    <section className="space-y-3" id="deliveries" data-testid="delivery-log">
      <h2 className="text-sm font-semibold text-slate-900">{t.tasks.deliveries}</h2>
      <form className="flex flex-wrap items-end gap-2" action={basePath} data-testid="delivery-filters">
        <Input name="q" defaultValue={params.q ?? ""} placeholder={t.tasks.searchAddress} className="w-72" data-testid="delivery-search" />
        <Select name="status" defaultValue={status ?? ""} className="w-40" data-testid="delivery-status">
          <option value="">{t.tasks.anyStatus}</option>
          {DELIVERY_STATUSES.map((value) => (
            <option key={value} value={value}>
              {t.tasks.deliveryStatuses[value]}
            </option>
          ))}
        </Select>
        <Select name="category" defaultValue={category ?? ""} className="w-52" data-testid="delivery-category">
          <option value="">{t.tasks.anyCategory}</option>
          {BOUNCE_CATEGORIES.map((value) => (
            <option key={value} value={value}>
              {t.tasks.categories[value]}
            </option>
          ))}
        </Select>
        <Button type="submit" variant="secondary" data-testid="delivery-filter">
          {t.common.filter}
        </Button>
      </form>
      <Table testId="deliveries-table">
        <thead>
          <tr>
            <Th>{t.tasks.address}</Th>
            <Th>{t.common.status}</Th>
            <Th>{t.tasks.category}</Th>
            <Th>{t.tasks.reply}</Th>
            <Th className="text-right">{t.tasks.attempts}</Th>
            <Th>{t.tasks.sentAt}</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {page.deliveries.length === 0 ? <EmptyRow colSpan={6}>{t.common.noRows}</EmptyRow> : null}
          {page.deliveries.map((delivery) => (
            <tr key={delivery.id} data-testid={`delivery-${delivery.email}`}>
              <Td className="font-medium text-slate-900">
                <Link href={`/logs/deliveries/${delivery.id}`} className="hover:text-indigo-700 hover:underline">
                  {delivery.email}
                </Link>
              </Td>
              <Td>
                <DeliveryStatusBadge status={delivery.status} labels={t.tasks.deliveryStatuses} />
              </Td>
              <Td>{delivery.category ? t.tasks.categories[delivery.category] : t.common.none}</Td>
              <Td className="max-w-md truncate text-xs text-slate-500" title={delivery.error ?? undefined}>
                {[delivery.code, delivery.enhancedStatus, delivery.error].filter((part) => part !== null && part !== undefined && part !== "").join(" ") || t.common.none}
              </Td>
              <Td className="text-right tabular-nums">{delivery.attempts}</Td>
              <Td className="tabular-nums">
                {delivery.sentAt
                  ? formatInZone(new Date(delivery.sentAt), ctx.timeZone)
                  : delivery.nextAttemptAt
                    ? `→ ${formatInZone(new Date(delivery.nextAttemptAt), ctx.timeZone)}`
                    : t.common.none}
              </Td>
            </tr>
          ))}
        </tbody>
      </Table>
      <KeysetNav
        first={cursor ? { href: href(), label: t.tasks.first } : null}
        next={page.nextCursor ? { href: href({ cursor: page.nextCursor }), label: t.tasks.more } : null}
      />
    </section>
  );
}
