import { and, asc, eq, gt, ilike, type SQL } from "drizzle-orm";
import { BOUNCE_CATEGORIES, DELIVERY_STATUSES, deliveries, type BounceCategory, type DeliveryStatus } from "@/db/schema";
import type { Ctx } from "@/lib/context";
import { invalidInput } from "@/lib/errors";
import { loadTask } from "./tasks";

export type DeliveryFilters = { status?: string; category?: string; q?: string; cursor?: string; limit?: number };

export const DELIVERY_PAGE_SIZE = 50;

/**
 * A task's per-recipient log, a keyset page at a time (the cursor is the last id seen), with
 * search by address and filters by status and failure category.
 */
export async function listDeliveries(ctx: Ctx, taskId: string, filters: DeliveryFilters = {}) {
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
  const q = filters.q?.trim().toLowerCase();
  const conditions: (SQL | undefined)[] = [
    eq(deliveries.taskId, task.id),
    eq(deliveries.departmentId, task.departmentId),
    status ? eq(deliveries.status, status as DeliveryStatus) : undefined,
    category ? eq(deliveries.category, category as BounceCategory) : undefined,
    q ? ilike(deliveries.email, `%${q.replace(/[\\%_]/g, "\\$&")}%`) : undefined,
    after > 0 ? gt(deliveries.id, after) : undefined,
  ];
  const rows = await ctx.db
    .select({
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
    })
    .from(deliveries)
    .where(and(...conditions))
    .orderBy(asc(deliveries.id))
    .limit(limit + 1);
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
    nextCursor: rows.length > limit ? String(page.at(-1)!.id) : null,
  };
}
