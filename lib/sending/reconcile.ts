import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import { releaseQuota } from "@/lib/accounts/quota";
import { completeIfFinished } from "./materialize";
import { heldByStoppedWorker, STALE_AFTER_MS, type ReleasedBatches } from "./workers";

/**
 * Re-queues deliveries whose claim outlived its lease (the worker died or hung between claim
 * and record). Their attempt count is unchanged, so a Resend batch re-sent from them carries
 * the same idempotency key. Answers how many were re-queued.
 */
export async function requeueExpiredLeases(db: Executor, now: Date = new Date()): Promise<number> {
  return (await releaseClaims(db, sql`d.lease_until < ${now.toISOString()}::timestamptz`)).length;
}

/**
 * The same for claims of a runner whose heartbeat stopped more than `staleAfterMs` ago
 * (workers.ts), without waiting for their lease: a killed worker's batches in flight are sent again
 * within seconds. A live runner's claims are never touched, whatever their age. Answers the
 * batches re-queued, per task.
 */
export async function takeOverStoppedWorkers(db: Executor, staleAfterMs: number = STALE_AFTER_MS): Promise<ReleasedBatches> {
  const requeued = await releaseClaims(db, heldByStoppedWorker(staleAfterMs));
  const byTask = new Map<string, { batches: Set<string>; deliveries: number }>();
  for (const row of requeued) {
    const task = byTask.get(row.task_id) ?? { batches: new Set<string>(), deliveries: 0 };
    task.batches.add(String(row.batch_no));
    task.deliveries++;
    byTask.set(row.task_id, task);
  }
  return [...byTask].map(([taskId, task]) => ({ taskId, batches: task.batches.size, deliveries: task.deliveries }));
}

/** Claims (`d.status = 'sending'`) matching `over` are over: abandoned with a stopped task, else queued again (answers those). */
async function releaseClaims(db: Executor, over: SQL): Promise<{ task_id: string; batch_no: string | number }[]> {
  await abandonStoppedInFlight(db, over);
  return queryRows<{ task_id: string; batch_no: string | number }>(
    db,
    sql`update deliveries d set status = 'queued', lease_until = null, claim_token = null, next_attempt_at = now(), updated_at = now()
        where d.status = 'sending' and ${over} returning d.task_id, d.batch_no`,
  );
}

/**
 * Claims that are over of tasks that were cancelled or failed meanwhile are not sent again: they become
 * "cancelled" (their outcome unknown), leave the task's waiting count and give back their quota.
 */
async function abandonStoppedInFlight(db: Executor, over: SQL) {
  await db.transaction(async (tx) => {
    // Quota units: one per e-mail, an SMS's segments.
    const abandoned = await queryRows<{ task_id: string; department_id: string; count: string | number; units: string | number }>(
      tx,
      sql`with stopped as (
            update deliveries d set status = 'cancelled', lease_until = null, claim_token = null, updated_at = now(),
                   error = 'The task stopped while this message was in flight; whether it went out is unknown'
            from tasks t
            where t.id = d.task_id and t.status in ('cancelled', 'failed') and d.status = 'sending' and ${over}
            returning d.task_id, d.department_id, d.segments
          ) select task_id, department_id, count(*) as count, sum(coalesce(segments, 1)) as units from stopped group by task_id, department_id`,
    );
    for (const row of abandoned) {
      const count = Number(row.count);
      const units = Number(row.units);
      await tx.execute(
        sql`update tasks set queued = greatest(queued - ${count}, 0), cancelled = cancelled + ${count}, reserved = greatest(reserved - ${units}, 0), updated_at = now() where id = ${row.task_id}`,
      );
      await releaseQuota(tx, row.department_id, units);
    }
  });
}

/** Completes sending tasks with nothing left to do (e.g. the last record happened before a crash). */
export async function completeFinishedTasks(db: Executor): Promise<number> {
  const candidates = await queryRows<{ id: string }>(db, sql`select id from tasks where status = 'sending' and materialize_cursor is null and queued = 0`);
  let completed = 0;
  for (const { id } of candidates) if (await db.transaction((tx) => completeIfFinished(tx, id))) completed++;
  return completed;
}

/**
 * Sending tasks with recipients due now, messages (the priority lane) first, then by start. With
 * `lane: "message"`, only messages.
 */
export async function tasksWithDueWork(db: Executor, limit = 50, options: { lane?: "message" } = {}): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`select t.id from tasks t where t.status = 'sending' ${options.lane ? sql`and t.kind = 'message'` : sql``}
          and exists (select 1 from deliveries d where d.task_id = t.id and d.status = 'queued' and d.next_attempt_at <= now())
        order by t.kind = 'message' desc, t.started_at limit ${limit}`,
  );
  return rows.map((row) => row.id);
}

export type Reconciliation = { requeued: number; completed: number };

/** What the reconciler does each round, under Inngest's cron or the local runner. */
export async function reconcile(db: Executor): Promise<Reconciliation> {
  const takenOver = await takeOverStoppedWorkers(db);
  const requeued = (await requeueExpiredLeases(db)) + takenOver.reduce((sum, task) => sum + task.deliveries, 0);
  const completed = await completeFinishedTasks(db);
  return { requeued, completed };
}
