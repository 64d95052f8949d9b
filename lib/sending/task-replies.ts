import "server-only";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { deliveries, deliveryEvents } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { loadReadableTask } from "./task-pages";

export const REPLIES_PAGE_SIZE = 20;

export type TaskReply = { deliveryId: number; email: string; type: "replied" | "auto_reply"; subject: string; text: string; at: Date };

/**
 * The replies a task's messages received (lib/feedback/replies.ts), newest first, a page at a time,
 * with the task's reply rate: deliveries a person replied to over those sent. Readable by whoever may
 * open the task's page.
 */
export async function taskReplies(ctx: Ctx, taskId: string, options: { page?: number; automatic?: boolean } = {}) {
  const task = await loadReadableTask(ctx, taskId);
  const page = Math.max(1, Math.floor(options.page ?? 1));
  const types = options.automatic ? (["replied", "auto_reply"] as const) : (["replied"] as const);
  const rows = await ctx.db
    .select({ deliveryId: deliveryEvents.deliveryId, email: deliveries.email, type: deliveryEvents.type, detail: deliveryEvents.detail, at: deliveryEvents.occurredAt })
    .from(deliveryEvents)
    .innerJoin(deliveries, eq(deliveries.id, deliveryEvents.deliveryId))
    .where(and(eq(deliveries.taskId, task.id), eq(deliveryEvents.departmentId, task.departmentId), inArray(deliveryEvents.type, [...types]), sql`${deliveryEvents.detail}->>'channel' = 'email'`))
    .orderBy(desc(deliveryEvents.occurredAt), desc(deliveryEvents.id))
    .limit(REPLIES_PAGE_SIZE + 1)
    .offset((page - 1) * REPLIES_PAGE_SIZE);
  const replies: TaskReply[] = rows.slice(0, REPLIES_PAGE_SIZE).map((row) => ({
    deliveryId: row.deliveryId,
    email: row.email,
    type: row.type as TaskReply["type"],
    subject: String(row.detail.subject ?? ""),
    text: String(row.detail.reply ?? ""),
    at: row.at,
  }));
  const answered = task.sent;
  return {
    replies,
    page,
    hasMore: rows.length > REPLIES_PAGE_SIZE,
    replied: task.replied,
    autoReplied: task.autoReplied,
    /** Percent of the messages sent that a person replied to; null before any was sent. */
    replyRate: answered > 0 ? Math.round((task.replied / answered) * 1000) / 10 : null,
  };
}
