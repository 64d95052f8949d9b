import "server-only";
import type { BounceCategory, DeliveryStatus } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { isDeliveryLogCursor } from "@/lib/deliveries/cursor";
import { listDeliveryPage } from "@/lib/deliveries/listing";
import { invalidInput } from "@/lib/errors";
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
    deliveries: page.rows.map((row) => ({
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
    nextCursor: page.nextBefore,
  };
}
