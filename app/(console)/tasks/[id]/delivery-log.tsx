import Link from "next/link";
import { DeliveryStatusBadge } from "@/components/logs/delivery-status-badge";
import { FilterForm } from "@/components/forms/filter-form";
import { DataTable } from "@/components/ui/data-table";
import { Input, Select } from "@/components/ui/field";
import { KeysetNav } from "@/components/ui/pagination";
import { Options } from "@/components/ui/options";
import { Td } from "@/components/ui/table";
import { BOUNCE_CATEGORIES, DELIVERY_STATUSES } from "@/db/schema";
import type { PageContext } from "@/app/(console)/_page/console-page";
import { isDeliveryLogCursor } from "@/lib/deliveries/cursor";
import { listDeliveries } from "@/lib/sending/deliveries";
import { formatInZone } from "@/lib/time/zone";

type Params = { q?: string; status?: string; category?: string; cursor?: string };

/** 数据投递日志: one row per recipient, searchable by address, filtered by status and failure category, keyset pages. */
export async function DeliveryLog({ ctx, taskId, params }: { ctx: PageContext; taskId: string; params: Params }) {
  const { t } = ctx;
  const status = DELIVERY_STATUSES.find((value) => value === params.status);
  const category = BOUNCE_CATEGORIES.find((value) => value === params.category);
  const cursor = params.cursor && isDeliveryLogCursor(params.cursor) ? params.cursor : undefined;
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
      <FilterForm action={basePath} testId="delivery-filters" submit={{ label: t.common.filter, testId: "delivery-filter" }}>
        <Input name="q" defaultValue={params.q ?? ""} placeholder={t.tasks.searchAddress} aria-label={t.tasks.searchAddress} className="w-72" data-testid="delivery-search" />
        <Select name="status" defaultValue={status ?? ""} aria-label={t.common.status} className="w-40" data-testid="delivery-status">
          <option value="">{t.tasks.anyStatus}</option>
          <Options choices={DELIVERY_STATUSES.map((value) => ({ value, label: t.tasks.deliveryStatuses[value] }))} />
        </Select>
        <Select name="category" defaultValue={category ?? ""} aria-label={t.tasks.category} className="w-52" data-testid="delivery-category">
          <option value="">{t.tasks.anyCategory}</option>
          <Options choices={BOUNCE_CATEGORIES.map((value) => ({ value, label: t.tasks.categories[value] }))} />
        </Select>
      </FilterForm>
      <DataTable
        testId="deliveries-table"
        columns={[t.tasks.address, t.common.status, t.tasks.category, t.tasks.reply, { label: t.tasks.attempts, className: "text-right" }, t.tasks.sentAt]}
        rows={page.deliveries}
        empty={t.common.noRows}
      >
        {(delivery) => (
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
        )}
      </DataTable>
      <KeysetNav
        first={cursor ? { href: href(), label: t.tasks.first } : null}
        next={page.nextCursor ? { href: href({ cursor: page.nextCursor }), label: t.tasks.more } : null}
      />
    </section>
  );
}
