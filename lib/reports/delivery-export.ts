import "server-only";
import { recordAudit } from "@/lib/audit/record";
import type { AuditSummary } from "@/lib/i18n/audit-summaries-en";
import type { Ctx } from "@/lib/access/context";
import { authorize } from "@/lib/access/policy";
import { csvLine } from "@/lib/csv/write";
import { checkDeliveryLogFilters, type DeliveryLogFilters } from "@/lib/deliveries/listing";
import { formatInZone } from "@/lib/time/zone";
import { searchDeliveries, type DeliveryLogRow } from "./delivery-log";

export const DELIVERY_LOG_EXPORT_LIMIT = 100_000;

/** The log's rows for the filters as CSV lines (at most `max` rows), newest first; the export is audited. */
export async function exportDeliveries(
  ctx: Ctx,
  filters: DeliveryLogFilters,
  options: { timeZone: string; max?: number },
): Promise<AsyncIterable<string>> {
  authorize(ctx.actor, "reports.view");
  checkDeliveryLogFilters(filters);
  const described = describeFilters(filters);
  await recordAudit(ctx.db, ctx.actor, {
    action: "delivery.export",
    objectType: "delivery_log",
    objectId: filters.taskId ?? "",
    departmentId: ctx.actor.role === "department" ? ctx.actor.departmentId : null,
    summary: { key: "delivery.export", ...described },
  });
  return exportLines(ctx, filters, options.timeZone, options.max ?? DELIVERY_LOG_EXPORT_LIMIT);
}

function describeFilters({ q, taskId, status, category, from, to }: DeliveryLogFilters): Omit<AuditSummary, "key"> {
  return {
    params: { q: q ?? null, taskId: taskId ?? null, deliveryStatus: status ?? null, category: category ?? null, from: from ?? null, to: to ?? null },
    notes: [q && "matching", taskId && "forTask", status && "deliveryStatus", category && "category", from && "fromDay", to && "toDay"],
  };
}

/** The header, then the log a page of 1,000 at a time, each page one chunk. */
async function* exportLines(ctx: Ctx, filters: DeliveryLogFilters, timeZone: string, max: number): AsyncGenerator<string> {
  yield csvHeader(timeZone);
  let before = filters.before;
  let written = 0;
  while (written < max) {
    const page = await searchDeliveries(ctx, { ...filters, before }, Math.min(1_000, max - written), { timeZone });
    const chunk = page.rows.map((row) => csvRow(row, timeZone)).join("");
    written += page.rows.length;
    if (chunk) yield chunk;
    if (page.nextBefore === null) return;
    before = page.nextBefore;
  }
}

function csvHeader(timeZone: string): string {
  return csvLine([
    `sent_at (${timeZone})`,
    "email",
    "task",
    "department",
    "status",
    "category",
    "code",
    "enhanced_status",
    "reply",
    "attempts",
    "provider_id",
    "message_id",
    "opens",
    "clicks",
    "machine_opens",
    "machine_clicks",
    "delivered_at",
    "bounced_at",
    "complained_at",
    "unsubscribed_at",
    "delivery_id",
    "task_id",
    // Last, so that columns read by position keep theirs: the IP the task came from (for an SMTP submission, the client's),
    // then the channel and, for SMS, WhatsApp and WeCom, the number or user id the message went to.
    "client_ip",
    "channel",
    "number",
  ]);
}

function csvRow(row: DeliveryLogRow, timeZone: string): string {
  const time = (value: Date | null) => (value ? formatInZone(value, timeZone) : "");
  return csvLine([
    time(row.sentAt),
    row.email,
    row.taskName,
    row.department,
    row.status,
    row.category ?? "",
    row.code ?? "",
    row.enhancedStatus ?? "",
    row.error ?? "",
    row.attempts,
    row.providerId ?? "",
    row.messageId ?? "",
    row.openCount,
    row.clickCount,
    row.machineOpenCount,
    row.machineClickCount,
    time(row.deliveredAt),
    time(row.bouncedAt),
    time(row.complainedAt),
    time(row.unsubscribedAt),
    row.id,
    row.taskId,
    row.clientIp,
    row.channel,
    row.address ?? "",
  ]);
}
