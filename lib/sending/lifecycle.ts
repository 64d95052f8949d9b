import { sql } from "drizzle-orm";
import { queryRows, type Database } from "@/db/client";
import { releaseQuota } from "@/lib/accounts/quota";

/**
 * Marks a task failed when it cannot go on (its template version or sender is gone): waiting
 * recipients are cancelled and the quota they held is given back. Rows in flight finish normally.
 */
export async function failTask(db: Database, taskId: string, reason: string): Promise<void> {
  await db.transaction(async (tx) => {
    const [task] = await queryRows<{ department_id: string; queued: number; reserved: number; status: string }>(
      tx,
      sql`select department_id, queued, reserved, status from tasks where id = ${taskId} for update`,
    );
    if (!task || !["scheduled", "sending", "paused"].includes(task.status)) return;
    const cancelled = await queryRows<{ id: string }>(
      tx,
      sql`update deliveries set status = 'cancelled', error = ${`Task failed: ${reason}`.slice(0, 500)}, updated_at = now()
          where task_id = ${taskId} and status = 'queued' returning id`,
    );
    const inFlight = task.queued - cancelled.length;
    const release = Math.max(0, task.reserved - inFlight);
    await releaseQuota(tx, task.department_id, release);
    await tx.execute(sql`update tasks set status = 'failed', note = ${reason.slice(0, 500)}, queued = ${inFlight}, cancelled = cancelled + ${cancelled.length},
                           reserved = ${task.reserved - release}, materialize_cursor = null, finished_at = now(), updated_at = now() where id = ${taskId}`);
  });
}

/** Errors that will not go away by trying again: the task's template or sender is gone or broken. */
export function isTaskUnusable(error: unknown): boolean {
  return error instanceof Error && /has no template version or sender|does not exist|attachment/i.test(error.message);
}
