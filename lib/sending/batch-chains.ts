import "server-only";
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import { queryRows } from "@/db/client";
import { tasks } from "@/db/schema";
import { runBatch, type BatchOutcome, type EngineDeps } from "./batch";
import { ChannelNotConfiguredError } from "@/lib/channels";
import { isChannelContext, taskContextFor } from "./context";
import { dueTasks, tasksToMaterialize } from "./materialize";
import { tasksWithDueWork } from "./reconcile";

/*
 * Batch chains, for a driver that sends a task as chains of one-batch runs (Inngest): how many
 * chains a task gets, what a chain does after its batch, and which tasks lost theirs. The local
 * runner (runner.ts) keeps its workers in-process and needs none of this.
 */

/** How many batch chains a task gets, and the keys its batch events carry. */
export type BatchPlan = { taskId: string; count: number; transport: string; domain: string };

/**
 * N = min(concurrency, batches still queued) chains for a sending task; none for a task that is
 * not sending (paused, cancelled, completed) or has nothing queued.
 */
export async function planBatches(deps: EngineDeps, taskId: string): Promise<BatchPlan> {
  const { db, config, transport } = deps;
  const [task] = await db.select({ status: tasks.status, queued: tasks.queued }).from(tasks).where(eq(tasks.id, taskId));
  if (!task || task.status !== "sending" || task.queued <= 0) return { taskId, count: 0, transport: transport.name, domain: "" };
  const context = await taskContextFor(db, taskId);
  // A channel's task is paced by its own transport (its batch size), and keyed by the channel where mail is by sender domain.
  let sending: { name: string; maxBatch: number } = transport;
  let domain: string;
  if (isChannelContext(context)) {
    const channelTransport = deps.channels?.[context.channel];
    if (!channelTransport) throw new ChannelNotConfiguredError(context.channel);
    sending = channelTransport;
    domain = context.channel;
  } else domain = context.senderDomain;
  const batchSize = Math.max(1, Math.min(config.batchSize, sending.maxBatch));
  return { taskId, count: Math.min(config.concurrency, Math.ceil(task.queued / batchSize)), transport: sending.name, domain };
}

/** A chain's batch and what the chain does next: another batch, sleep until a retry is due, or end. */
export type ChainLink = BatchOutcome & { next: "batch" | "retry" | "none"; retryAt?: string };

/**
 * Sends one batch of a task. The chain goes on while there was work; it ends when the task is no
 * longer sending (pause, cancel: runBatch claims nothing), or when nothing is due, in which case
 * it wakes again at the first waiting retry, if any.
 */
export async function sendChainLink(deps: EngineDeps, taskId: string): Promise<ChainLink> {
  const outcome = await runBatch(deps, taskId);
  if (!outcome.idle) return { ...outcome, next: "batch" };
  if (outcome.idle === "not_sending") return { ...outcome, next: "none" };
  const retryAt = await nextRetryAt(deps, taskId);
  return retryAt ? { ...outcome, next: "retry", retryAt } : { ...outcome, next: "none" };
}

/** The earliest waiting retry of a sending task, as an ISO time, or null when none waits. */
async function nextRetryAt(deps: EngineDeps, taskId: string): Promise<string | null> {
  const [row] = await queryRows<{ at: string | Date | null }>(
    deps.db,
    sql`select min(d.next_attempt_at) as at from deliveries d join tasks t on t.id = d.task_id
        where d.task_id = ${taskId} and d.status = 'queued' and t.status = 'sending'`,
  );
  return row?.at ? new Date(row.at).toISOString() : null;
}

/** Tasks whose row has not moved for `olderThanMs` (no batch recorded, no materialise step). */
async function quietTasks(deps: EngineDeps, taskIds: string[], olderThanMs: number): Promise<Set<string>> {
  if (taskIds.length === 0) return new Set();
  const rows = await deps.db
    .select({ id: tasks.id })
    .from(tasks)
    .where(and(inArray(tasks.id, taskIds), lt(tasks.updatedAt, new Date(Date.now() - olderThanMs))));
  return new Set(rows.map((row) => row.id));
}

/** Work whose events were lost: chains to start again, due tasks never started, materialisations that died half-way. */
export type LostWork = { batchPlans: BatchPlan[]; scheduled: string[]; stalled: string[] };

/** A due task whose scheduler run has not started it after this long is taken as lost. */
const SCHEDULE_GRACE_MS = 60_000;

/**
 * Finds lost work after a reconcile round that re-queued `requeued` expired claims. A task whose
 * row has not moved for a lease period has no live chain (a live one records a batch at least that
 * often); after a re-queue, every task with due work is started again.
 */
export async function findLostWork(deps: EngineDeps, requeued: number): Promise<LostWork> {
  const quietAfterMs = deps.config.leaseMs;
  const withDueWork = await tasksWithDueWork(deps.db);
  const quiet = await quietTasks(deps, withDueWork, quietAfterMs);
  const batchPlans: BatchPlan[] = [];
  for (const taskId of withDueWork) {
    if (requeued === 0 && !quiet.has(taskId)) continue;
    try {
      const plan = await planBatches(deps, taskId);
      if (plan.count > 0) batchPlans.push(plan);
    } catch {
      // A task that cannot be planned (its sender is gone) is left to its next round.
    }
  }
  const scheduled = await dueTasks(deps.db, new Date(Date.now() - SCHEDULE_GRACE_MS));
  const stalled = [...(await quietTasks(deps, await tasksToMaterialize(deps.db), quietAfterMs))];
  return { batchPlans, scheduled, stalled };
}
