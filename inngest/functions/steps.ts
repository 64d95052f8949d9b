import type { GetStepTools } from "inngest";
import type { EngineDeps } from "@/lib/sending/batch";
import type { BatchPlan } from "@/lib/sending/batch-chains";
import { planBatches } from "@/lib/sending/batch-chains";
import { materializeWithin } from "@/lib/sending/materialize";
import { inngest } from "../client";
import { TASK_EVENTS, taskCancelledEvent, type BatchEventData } from "../events";

/*
 * What the sending functions share. They are the Inngest driver of the send engine: thin
 * functions over lib/sending, the same calls the local runner (lib/sending/runner.ts) makes
 * in-process. The database stays the ledger; an event only says "look at this task now", so a
 * lost or repeated event costs time, never a recipient (claims are leases, and startTask lets
 * one caller win).
 */

export type StepTools = GetStepTools<typeof inngest>;
/** Engine dependencies, resolved lazily per run (the production ones open the database on first use). */
export type EngineSource = () => Promise<EngineDeps>;

/** A task's scheduler and resumed runs stop when it is cancelled. */
export const cancelOnTask = [{ event: taskCancelledEvent, if: "async.data.taskId == event.data.taskId" }];

/** A plan's batch events; ids make a retried sendEvent step harmless (Inngest keeps the first event of an id). */
export function batchEvents(plan: BatchPlan, idPrefix: string) {
  const data: BatchEventData = { taskId: plan.taskId, transport: plan.transport, domain: plan.domain };
  return Array.from({ length: plan.count }, (_, index) => ({ id: `${idPrefix}-${index}`, name: TASK_EVENTS.batch, data }));
}

/** Starts a task's batch chains (the scheduler, the resumed function and the reconciler). */
export async function fanOut(step: StepTools, engine: EngineSource, taskId: string, runId: string): Promise<BatchPlan> {
  const plan = await step.run("plan-batches", async () => planBatches(await engine(), taskId));
  if (plan.count > 0) await step.sendEvent("fan-out", batchEvents(plan, `fanout-${runId}-${taskId}`));
  return plan;
}

/**
 * Turns the rest of a task's audience into delivery rows, in steps named by index, each one
 * working for up to `budgetMs` (see SendingFunctionOptions.materializeBudgetMs).
 */
export async function materializeAll(step: StepTools, engine: EngineSource, taskId: string, budgetMs: number) {
  let added = 0;
  let suppressed = 0;
  for (let index = 0; ; index++) {
    const progress = await step.run(`materialize-${index}`, async () => {
      const { db, config } = await engine();
      return materializeWithin(db, taskId, config, budgetMs);
    });
    added += progress.added;
    suppressed += progress.suppressed;
    if (progress.done) return { steps: index + 1, added, suppressed };
  }
}
