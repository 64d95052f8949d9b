import "server-only";
import { and, eq } from "drizzle-orm";
import { deliveries, type BounceCategory, type DeliveryStatus } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { authorize, departmentScope } from "@/lib/access/policy";
import { isDeliveryLogCursor } from "@/lib/deliveries/cursor";
import { DELIVERY_COLUMNS, listDeliveryPage, type DeliveryRow } from "@/lib/deliveries/listing";
import { invalidInput, notFound } from "@/lib/errors";
import { loadTask } from "./tasks";

export type DeliveryFilters = { status?: string; category?: string; q?: string; cursor?: string; limit?: number };

export const DELIVERY_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;

/**
 * A task's per-recipient log, newest first, a keyset page at a time, with search by address and
 * filters by status and failure category: the delivery listing (lib/deliveries/listing.ts) on the
 * task, so a page can come back short (even empty) with a `nextCursor` that continues after what
 * was looked at. A task outside the caller's departments is not found.
 */
export async function listDeliveries(ctx: Ctx, taskId: string, filters: DeliveryFilters = {}, options: { window?: number } = {}) {
  const task = await loadTask(ctx, taskId);
  const cursor = filters.cursor || undefined;
  if (cursor !== undefined && !isDeliveryLogCursor(cursor)) throw invalidInput("badCursor", { field: "cursor" });
  const page = await listDeliveryPage(
    ctx,
    {
      taskId: task.id,
      status: (filters.status || undefined) as DeliveryStatus | undefined,
      category: (filters.category || undefined) as BounceCategory | undefined,
      q: filters.q,
      before: cursor,
    },
    { limit: Math.min(filters.limit ?? DELIVERY_PAGE_SIZE, MAX_PAGE_SIZE), window: options.window },
  );
  return {
    deliveries: page.rows.map(deliveryView),
    nextCursor: page.nextBefore,
  };
}

/**
 * One delivery as the API shows it (GET /api/v1/deliveries/{id}, and each row of a task's list):
 * its state, the receiving server's reply, and what happened after the send.
 */
export function deliveryView(row: DeliveryRow) {
  return {
    id: String(row.id),
    taskId: row.taskId,
    email: row.email,
    status: row.status,
    ...(row.category ? { category: row.category } : {}),
    ...(row.error ? { error: row.error } : {}),
    ...(row.sentAt ? { sentAt: row.sentAt.toISOString() } : {}),
    code: row.code,
    enhancedStatus: row.enhancedStatus,
    attempts: row.attempts,
    nextAttemptAt: row.status === "queued" && row.attempts > 0 ? row.nextAttemptAt.toISOString() : null,
    messageId: row.messageId,
    ...(row.firstOpenAt ? { openedAt: row.firstOpenAt.toISOString() } : {}),
    opens: row.openCount,
    ...(row.firstClickAt ? { clickedAt: row.firstClickAt.toISOString() } : {}),
    clicks: row.clickCount,
    machineOpens: row.machineOpenCount,
    machineClicks: row.machineClickCount,
    ...(row.deliveredAt ? { deliveredAt: row.deliveredAt.toISOString() } : {}),
    ...(row.bouncedAt ? { bouncedAt: row.bouncedAt.toISOString() } : {}),
    ...(row.complainedAt ? { complainedAt: row.complainedAt.toISOString() } : {}),
    ...(row.unsubscribedAt ? { unsubscribedAt: row.unsubscribedAt.toISOString() } : {}),
  };
}

/** One delivery of the caller's departments; another department's (or an unknown or malformed id) is not found. */
export async function getDelivery(ctx: Ctx, id: string) {
  authorize(ctx.actor, "reports.view");
  if (!/^[1-9]\d{0,17}$/.test(id)) throw notFound("delivery");
  const [row] = await ctx.db
    .select(DELIVERY_COLUMNS)
    .from(deliveries)
    .where(and(eq(deliveries.id, Number(id)), departmentScope(ctx.actor, deliveries.departmentId)));
  if (!row) throw notFound("delivery");
  return deliveryView(row);
}
