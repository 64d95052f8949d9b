import { inngest } from "../client";
import { taskResumedEvent } from "../events";
import { cancelOnTask, fanOut, materializeAll, type EngineSource } from "./steps";

/**
 * Continues a task that was resumed (or whose scheduler run was lost while materialising,
 * which the reconciler reports as resumed): materialises what is left, then starts its chains.
 */
export function continueTaskFunction(engine: EngineSource, materializeBudgetMs: number) {
  return inngest.createFunction(
    { id: "task-resumed", name: "Continue a resumed send task", triggers: [taskResumedEvent], cancelOn: cancelOnTask },
    async ({ event, step, runId }) => {
      const { taskId } = event.data;
      const materialized = await materializeAll(step, engine, taskId, materializeBudgetMs);
      const plan = await fanOut(step, engine, taskId, runId);
      return { taskId, materialized, batches: plan.count };
    },
  );
}
