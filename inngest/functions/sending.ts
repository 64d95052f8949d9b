import { and, eq, inArray, lt, sql } from "drizzle-orm";
import type { FailureEventArgs, GetStepTools, TimeStr } from "inngest";
import { queryRows } from "@/db/client";
import { tasks } from "@/db/schema";
import { inngest } from "@/inngest/client";
import { TASK_EVENTS, taskBatchEvent, taskCancelledEvent, taskResumedEvent, taskScheduledEvent, type BatchEventData, type TaskEventData } from "@/inngest/events";
import { runBatch, type BatchOutcome, type EngineDeps } from "@/lib/sending/batch";
import { sendingConfig, type SendingConfig } from "@/lib/sending/config";
import { sendContextFor } from "@/lib/sending/context";
import { failTask, isTaskUnusable } from "@/lib/sending/lifecycle";
import { dueTasks, materializeStep, startTask, tasksToMaterialize } from "@/lib/sending/materialize";
import { reconcile, tasksWithDueWork } from "@/lib/sending/reconcile";

/*
 * The Inngest driver of the send engine: thin functions over lib/sending, the same calls the
 * local runner (lib/sending/runner.ts) makes in-process. The database stays the ledger; an
 * event only says "look at this task now", so a lost or repeated event costs time, never a
 * recipient (claims are leases, and startTask lets one caller win).
 */

type StepTools = GetStepTools<typeof inngest>;
/** Engine dependencies, resolved lazily per run (the production ones open the database on first use). */
export type EngineSource = () => Promise<EngineDeps>;

export type SendingFunctionOptions = {
  /**
   * The configuration the function options (concurrency, throttle) are derived from. Inngest
   * reads these when the app is synced, so they come from the environment at start-up; the
   * engine calls themselves use the config of `engine()`, which should be the same.
   */
  config?: SendingConfig;
  /**
   * How long one materialise step keeps calling `materializeStep` (one transaction of
   * `config.materializeStep` contacts each) before handing back to Inngest. Every step makes
   * at least one call; 0 means exactly one call per step. Bounds a step's duration (serverless
   * time limits) while keeping a million-contact task well under Inngest's steps-per-run limit.
   */
  materializeBudgetMs?: number;
};

const CRON_EVERY_MINUTE = "* * * * *";
/** A due task whose scheduler run has not started it after this long is taken as lost. */
const SCHEDULE_GRACE_MS = 60_000;
/** Wake a chain a little after its next retry is due, so the retry is due when the run starts. */
const RETRY_WAKE_MARGIN_MS = 1_000;

/** The batch function's concurrency: at most `config.concurrency` batches in flight per transport. */
export function batchConcurrency(config: SendingConfig): [{ key: string; limit: number }] {
  return [{ key: "event.data.transport", limit: config.concurrency }];
}

/**
 * The batch function's throttle, per sender domain, when FANOUT_DOMAIN_RATE_PER_SECOND is set:
 * one run sends one batch, so `domainRatePerSecond / batchSize` runs a second (Inngest wants a
 * whole limit, so a slower rate becomes one run per several seconds). The process-local rate
 * limiter still paces the messages inside a batch.
 */
export function batchThrottle(config: SendingConfig): { key: string; limit: number; period: TimeStr } | undefined {
  if (!(config.domainRatePerSecond > 0)) return undefined;
  const runsPerSecond = config.domainRatePerSecond / config.batchSize;
  if (runsPerSecond >= 1) return { key: "event.data.domain", limit: Math.floor(runsPerSecond), period: "1s" };
  return { key: "event.data.domain", limit: 1, period: `${Math.ceil(config.batchSize / config.domainRatePerSecond)}s` };
}

/** How many batch chains a task gets, and the keys its batch events carry. */
export type BatchPlan = { taskId: string; count: number; transport: string; domain: string };

/**
 * N = min(concurrency, batches still queued) chains for a sending task; none for a task that is
 * not sending (paused, cancelled, completed) or has nothing queued.
 */
async function planBatches(deps: EngineDeps, taskId: string): Promise<BatchPlan> {
  const { db, config, transport } = deps;
  const [task] = await db.select({ status: tasks.status, queued: tasks.queued }).from(tasks).where(eq(tasks.id, taskId));
  if (!task || task.status !== "sending" || task.queued <= 0) return { taskId, count: 0, transport: transport.name, domain: "" };
  const { senderDomain } = await sendContextFor(db, taskId);
  const batchSize = Math.max(1, Math.min(config.batchSize, transport.maxBatch));
  return { taskId, count: Math.min(config.concurrency, Math.ceil(task.queued / batchSize)), transport: transport.name, domain: senderDomain };
}

function batchEvents(plan: BatchPlan, idPrefix: string) {
  const data: BatchEventData = { taskId: plan.taskId, transport: plan.transport, domain: plan.domain };
  // Ids make a retried sendEvent step harmless: Inngest keeps the first event of an id.
  return Array.from({ length: plan.count }, (_, index) => ({ id: `${idPrefix}-${index}`, name: TASK_EVENTS.batch, data }));
}

/** Starts a task's batch chains (shared by the scheduler, the resumed function and the reconciler). */
async function fanOut(step: StepTools, engine: EngineSource, taskId: string, runId: string): Promise<BatchPlan> {
  const plan = await step.run("plan-batches", async () => planBatches(await engine(), taskId));
  if (plan.count > 0) await step.sendEvent("fan-out", batchEvents(plan, `fanout-${runId}-${taskId}`));
  return plan;
}

/** Turns the rest of a task's audience into delivery rows, in bounded steps named by index. */
async function materializeAll(step: StepTools, engine: EngineSource, taskId: string, budgetMs: number) {
  let added = 0;
  let suppressed = 0;
  for (let index = 0; ; index++) {
    const progress = await step.run(`materialize-${index}`, async () => {
      const deps = await engine();
      const started = Date.now();
      const total = { done: false, added: 0, suppressed: 0 };
      do {
        const one = await materializeStep(deps.db, taskId, deps.config);
        total.done = one.done;
        total.added += one.added;
        total.suppressed += one.suppressed;
      } while (!total.done && Date.now() - started < budgetMs);
      return total;
    });
    added += progress.added;
    suppressed += progress.suppressed;
    if (progress.done) return { steps: index + 1, added, suppressed };
  }
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

export type BatchRunResult = BatchOutcome & { next: "batch" | "retry" | "none"; retryAt?: string };

/**
 * The four sending functions over the engine `engine()` gives. index.ts builds the production
 * set (process-wide database, transport from the environment); tests pass their own.
 */
export function createFunctions(engine: EngineSource, options: SendingFunctionOptions = {}) {
  const config = options.config ?? sendingConfig();
  const budgetMs = options.materializeBudgetMs ?? 5_000;
  const throttle = batchThrottle(config);
  const cancelOnTask = [{ event: taskCancelledEvent, if: "async.data.taskId == event.data.taskId" }];

  /** Waits for a task's time, starts it, materialises its recipients and starts its batch chains. */
  const taskScheduler = inngest.createFunction(
    { id: "task-scheduler", name: "Start a scheduled send task", triggers: [taskScheduledEvent], cancelOn: cancelOnTask },
    async ({ event, step, runId }) => {
      const { taskId, scheduledAt } = event.data;
      // An edit sends a new scheduled event; this run then wakes at the old time and startTask refuses.
      if (scheduledAt && !Number.isNaN(Date.parse(scheduledAt))) await step.sleepUntil("wait-until-scheduled", scheduledAt);
      const started = await step.run("start", async () => startTask((await engine()).db, taskId));
      if (!started) return { taskId, started: false };
      const materialized = await materializeAll(step, engine, taskId, budgetMs);
      const plan = await fanOut(step, engine, taskId, runId);
      return { taskId, started: true, materialized, batches: plan.count };
    },
  );

  /**
   * Continues a task that was resumed (or whose scheduler run was lost while materialising,
   * which the reconciler reports as resumed): materialises what is left, then starts its chains.
   */
  const taskResumed = inngest.createFunction(
    { id: "task-resumed", name: "Continue a resumed send task", triggers: [taskResumedEvent], cancelOn: cancelOnTask },
    async ({ event, step, runId }) => {
      const { taskId } = event.data;
      const materialized = await materializeAll(step, engine, taskId, budgetMs);
      const plan = await fanOut(step, engine, taskId, runId);
      return { taskId, materialized, batches: plan.count };
    },
  );

  /**
   * Sends one batch of a task, then asks for the next (a chain per fan-out event). Ends when the
   * task is no longer sending (pause, cancel: runBatch claims nothing), or when nothing is due;
   * then, if retries wait, the chain sleeps in Inngest until the first of them is due.
   */
  const batchSender = inngest.createFunction(
    {
      id: "task-batch",
      name: "Send one batch of a task",
      triggers: [taskBatchEvent],
      concurrency: batchConcurrency(config),
      ...(throttle ? { throttle } : {}),
      // Retries exhausted: when the task itself cannot be sent (template or sender gone), fail it
      // so its waiting recipients are cancelled and their quota comes back; anything else the
      // reconciler restarts later.
      onFailure: async ({ event, error }: FailureEventArgs<{ name: string; data: BatchEventData }>) => {
        if (isTaskUnusable(error)) await failTask((await engine()).db, event.data.event.data.taskId, error.message);
      },
    },
    async ({ event, step, runId }) => {
      const data: BatchEventData = event.data;
      const result = await step.run("send-batch", async (): Promise<BatchRunResult> => {
        const deps = await engine();
        const outcome = await runBatch(deps, data.taskId);
        if (!outcome.idle) return { ...outcome, next: "batch" };
        if (outcome.idle === "not_sending") return { ...outcome, next: "none" };
        const retryAt = await nextRetryAt(deps, data.taskId);
        return retryAt ? { ...outcome, next: "retry", retryAt } : { ...outcome, next: "none" };
      });
      if (result.next === "batch") {
        await step.sendEvent("next-batch", { id: `fanout-${runId}-next`, name: TASK_EVENTS.batch, data });
      } else if (result.next === "retry" && result.retryAt) {
        const ts = Math.max(Date.now(), Date.parse(result.retryAt) + RETRY_WAKE_MARGIN_MS);
        await step.sendEvent("wake-at-retry", { id: `fanout-${runId}-retry`, name: TASK_EVENTS.batch, data, ts });
      }
      return result;
    },
  );

  /**
   * Every minute: re-queues expired leases and completes finished tasks (reconcile), then
   * restarts work whose events were lost: batch chains for sending tasks with due recipients
   * that nothing is working on, the scheduler for due tasks still waiting to start, and
   * materialisation for tasks whose scheduler run died half-way.
   */
  const reconciler = inngest.createFunction(
    { id: "task-reconciler", name: "Reconcile send tasks", triggers: [{ cron: CRON_EVERY_MINUTE }], concurrency: { limit: 1 } },
    async ({ step, runId }) => {
      const reconciled = await step.run("reconcile", async () => reconcile((await engine()).db));
      const recovery = await step.run("find-lost-work", async () => {
        const deps = await engine();
        // A task whose row has not moved for a lease period has no live chain (a live one records
        // a batch at least that often); after a re-queue, every task with due work is started again.
        const quietAfterMs = deps.config.leaseMs;
        const withDueWork = await tasksWithDueWork(deps.db);
        const quiet = await quietTasks(deps, withDueWork, quietAfterMs);
        const batchPlans: BatchPlan[] = [];
        for (const taskId of withDueWork) {
          if (reconciled.requeued === 0 && !quiet.has(taskId)) continue;
          try {
            const plan = await planBatches(deps, taskId);
            if (plan.count > 0) batchPlans.push(plan);
          } catch {
            // A task that cannot be planned (its sender is gone) is left to its next round.
          }
        }
        const scheduled = await dueTasks(deps.db, new Date(Date.now() - SCHEDULE_GRACE_MS));
        const unfinished = await tasksToMaterialize(deps.db);
        const stalled = [...(await quietTasks(deps, unfinished, quietAfterMs))];
        return { batchPlans, scheduled, stalled };
      });
      const events = [
        ...recovery.batchPlans.flatMap((plan) => batchEvents(plan, `fanout-${runId}-${plan.taskId}`)),
        ...recovery.scheduled.map((taskId) => ({ id: `fanout-${runId}-${taskId}-scheduled`, name: TASK_EVENTS.scheduled, data: { taskId } satisfies TaskEventData })),
        ...recovery.stalled.map((taskId) => ({ id: `fanout-${runId}-${taskId}-resumed`, name: TASK_EVENTS.resumed, data: { taskId } satisfies TaskEventData })),
      ];
      if (events.length > 0) await step.sendEvent("recover", events);
      return { ...reconciled, batchChains: events.filter((item) => item.name === TASK_EVENTS.batch).length, scheduled: recovery.scheduled.length, stalled: recovery.stalled.length };
    },
  );

  return { taskScheduler, taskResumed, batchSender, reconciler };
}

export type SendingFunctions = ReturnType<typeof createFunctions>;
