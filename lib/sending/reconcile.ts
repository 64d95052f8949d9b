import { sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import { completeIfFinished } from "./materialize";

/**
 * Re-queues deliveries whose claim outlived its lease (the worker died or hung between claim
 * and record). Their attempt count is unchanged, so a Resend batch re-sent from them carries
 * the same idempotency key. Answers how many were re-queued.
 */
export async function requeueExpiredLeases(db: Executor, now: Date = new Date()): Promise<number> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`update deliveries set status = 'queued', lease_until = null, claim_token = null, next_attempt_at = now(), updated_at = now()
        where status = 'sending' and lease_until < ${now.toISOString()}::timestamptz returning id`,
  );
  return rows.length;
}

/** Completes sending tasks with nothing left to do (e.g. the last record happened before a crash). */
export async function completeFinishedTasks(db: Executor): Promise<number> {
  const candidates = await queryRows<{ id: string }>(db, sql`select id from tasks where status = 'sending' and materialize_cursor is null and queued = 0`);
  let completed = 0;
  for (const { id } of candidates) if (await db.transaction((tx) => completeIfFinished(tx, id))) completed++;
  return completed;
}

/** Sending tasks with recipients due now, and when the next waiting retry of any task falls due. */
export async function tasksWithDueWork(db: Executor, limit = 50): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`select t.id from tasks t where t.status = 'sending'
          and exists (select 1 from deliveries d where d.task_id = t.id and d.status = 'queued' and d.next_attempt_at <= now())
        order by t.started_at limit ${limit}`,
  );
  return rows.map((row) => row.id);
}

export type Reconciliation = { requeued: number; completed: number };

/** What the reconciler does each round, under Inngest's cron or the local runner. */
export async function reconcile(db: Executor): Promise<Reconciliation> {
  const requeued = await requeueExpiredLeases(db);
  const completed = await completeFinishedTasks(db);
  return { requeued, completed };
}
