import "server-only";
import { eq, sql } from "drizzle-orm";
import { queryRows, type Database, type Executor } from "@/db/client";
import { tasks, type Task } from "@/db/schema";
import { releaseQuota } from "@/lib/accounts/quota";
import { ChannelNotConfiguredError } from "@/lib/channels";
import { notifyTaskFailed } from "@/lib/notifications/triggers";

/**
 * Ends a task early, cancelled or failed: waiting recipients are cancelled and the quota they held
 * is given back; rows in flight keep their reservation until their batch is recorded. Call it with
 * the task row locked.
 */
export async function stopTask(
  tx: Executor,
  task: Pick<Task, "id" | "departmentId" | "queued" | "reserved" | "channel">,
  stop: { status: "cancelled" | "failed"; error: string; note?: string },
): Promise<{ task: Task; cancelled: number; released: number }> {
  const cancelled = await queryRows<{ id: string }>(
    tx,
    sql`update deliveries set status = 'cancelled', error = ${stop.error.slice(0, 500)}, updated_at = now()
        where task_id = ${task.id} and status = 'queued' returning id`,
  );
  const inFlight = task.queued - cancelled.length;
  // What the rows in flight hold stays reserved until their batch is recorded: one unit each, an SMS's segments.
  const heldInFlight = task.channel === "email" ? inFlight : await unitsInFlight(tx, task.id);
  const released = Math.max(0, task.reserved - heldInFlight);
  await releaseQuota(tx, task.departmentId, released);
  const [row] = await tx
    .update(tasks)
    .set({
      status: stop.status,
      ...(stop.note !== undefined ? { note: stop.note.slice(0, 500) } : {}),
      queued: inFlight,
      cancelled: sql`${tasks.cancelled} + ${cancelled.length}`,
      reserved: task.reserved - released,
      materializeCursor: null,
      finishedAt: new Date(),
      updatedAt: new Date(),
    })
    .where(eq(tasks.id, task.id))
    .returning();
  return { task: row!, cancelled: cancelled.length, released };
}

async function unitsInFlight(tx: Executor, taskId: string): Promise<number> {
  const [row] = await queryRows<{ units: string | number }>(tx, sql`select coalesce(sum(coalesce(segments, 1)), 0) as units from deliveries where task_id = ${taskId} and status = 'sending'`);
  return Number(row?.units ?? 0);
}

/** Marks a task failed when it cannot go on (its template version or sender is gone). */
export async function failTask(db: Database, taskId: string, reason: string): Promise<void> {
  await db.transaction(async (tx) => {
    const [task] = await tx.select().from(tasks).where(eq(tasks.id, taskId)).for("update");
    if (!task || !["scheduled", "sending", "paused"].includes(task.status)) return;
    await stopTask(tx, task, { status: "failed", error: `Task failed: ${reason}`, note: reason });
    await notifyTaskFailed(tx, task, reason);
  });
}
/** Errors that will not go away by trying again: the task's template, submitted message or sender is gone or broken. */
export function isTaskUnusable(error: unknown): boolean {
  if (error instanceof ChannelNotConfiguredError) return true;
  return error instanceof Error && /has no template version or sender|does not exist|attachment|submitted message/i.test(error.message);
}
