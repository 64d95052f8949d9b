import { and, asc, desc, eq, gt, ilike, sql, type Column, type SQL } from "drizzle-orm";
import { BOUNCE_CATEGORIES, DELIVERY_STATUSES, deliveries, type BounceCategory, type DeliveryStatus } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { invalidInput } from "@/lib/errors";
import { DELIVERY_LOG_SCAN_WINDOW, isWholeAddress } from "@/lib/reports/delivery-log";
import { loadTask } from "./tasks";

export type DeliveryFilters = { status?: string; category?: string; q?: string; cursor?: string; limit?: number };

export const DELIVERY_PAGE_SIZE = 50;

const PAGE_COLUMNS = {
  id: deliveries.id,
  email: deliveries.email,
  status: deliveries.status,
  category: deliveries.category,
  code: deliveries.code,
  enhancedStatus: deliveries.enhancedStatus,
  error: deliveries.error,
  attempts: deliveries.attempts,
  sentAt: deliveries.sentAt,
  nextAttemptAt: deliveries.nextAttemptAt,
  messageId: deliveries.messageId,
};

/**
 * A task's per-recipient log, a keyset page at a time (the cursor is the last id seen), with
 * search by address and filters by status and failure category. A whole address and a status are
 * walked on their indexes; part of an address or a category is looked for within a window of
 * DELIVERY_LOG_SCAN_WINDOW rows of that walk, so a page can come back short (even empty) with a
 * `nextCursor` that continues after what was looked at.
 */
export async function listDeliveries(ctx: Ctx, taskId: string, filters: DeliveryFilters = {}, options: { window?: number } = {}) {
  const task = await loadTask(ctx, taskId);
  const status = filters.status || undefined;
  if (status && !DELIVERY_STATUSES.includes(status as DeliveryStatus)) {
    throw invalidInput(`Unknown status "${status}"; one of ${DELIVERY_STATUSES.join(", ")}`, { field: "status" });
  }
  const category = filters.category || undefined;
  if (category && !BOUNCE_CATEGORIES.includes(category as BounceCategory)) {
    throw invalidInput(`Unknown category "${category}"; one of ${BOUNCE_CATEGORIES.join(", ")}`, { field: "category" });
  }
  let after = 0;
  if (filters.cursor) {
    after = Number(filters.cursor);
    if (!Number.isSafeInteger(after) || after < 0) throw invalidInput("The cursor is not one this API gave", { field: "cursor" });
  }
  const limit = Math.min(Math.max(filters.limit ?? DELIVERY_PAGE_SIZE, 1), 500);
  const q = filters.q?.trim().toLowerCase() || undefined;
  const exact = q !== undefined && isWholeAddress(q);
  // What an index walks: the task (with its status, (task_id, status, id)) or a whole address ((email, id))…
  const walked: (SQL | undefined)[] = [
    eq(deliveries.taskId, task.id),
    eq(deliveries.departmentId, task.departmentId),
    status ? eq(deliveries.status, status as DeliveryStatus) : undefined,
    exact ? eq(deliveries.email, q) : undefined,
    after > 0 ? gt(deliveries.id, after) : undefined,
  ];
  // …and what no index serves, looked for within a window of that walk (like the delivery log), so
  // a rare part of an address never reads the whole of a million-recipient task for one page.
  const residual = (w: { email: Column; category: Column }) =>
    [q && !exact ? ilike(w.email, `%${q.replace(/[\\%_]/g, "\\$&")}%`) : undefined, category ? eq(w.category, category as BounceCategory) : undefined].filter(
      (condition) => condition !== undefined,
    );
  const filtered = residual(deliveries).length > 0;
  const windowSize = Math.max(options.window ?? DELIVERY_LOG_SCAN_WINDOW, limit + 1);
  const walk = () =>
    ctx.db
      .select(PAGE_COLUMNS)
      .from(deliveries)
      .where(and(...walked))
      .orderBy(asc(deliveries.id))
      .limit(filtered ? windowSize : limit + 1)
      .as("walk");
  const window = walk();
  const rows = await ctx.db
    .select()
    .from(window)
    .where(and(...residual(window)))
    .orderBy(asc(window.id))
    .limit(limit + 1);
  let nextCursor = rows.length > limit ? String(rows[limit - 1]!.id) : null;
  if (!nextCursor && filtered) {
    // The window ran out before the page filled: continue after the last row looked at.
    const looked = walk();
    const [edge] = await ctx.db.select({ id: looked.id, count: sql<number>`count(*) over ()` }).from(looked).orderBy(desc(looked.id)).limit(1);
    if (edge && Number(edge.count) >= windowSize) nextCursor = String(edge.id);
  }
  const page = rows.slice(0, limit);
  return {
    deliveries: page.map((row) => ({
      id: String(row.id),
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
    })),
    nextCursor,
  };
}
