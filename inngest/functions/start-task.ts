import { startTask } from "@/lib/sending/materialize";
import { inngest } from "../client";
import { taskScheduledEvent } from "../events";
import { cancelOnTask, fanOut, materializeAll, type EngineSource } from "./steps";

/** Waits for a task's time, starts it, materialises its recipients and starts its batch chains. */
export function startTaskFunction(engine: EngineSource, materializeBudgetMs: number) {
  return inngest.createFunction(
    { id: "task-scheduler", name: "Start a scheduled send task", triggers: [taskScheduledEvent], cancelOn: cancelOnTask },
    async ({ event, step, runId }) => {
      const { taskId, scheduledAt } = event.data;
      // An edit sends a new scheduled event; this run then wakes at the old time and startTask refuses.
      if (scheduledAt && !Number.isNaN(Date.parse(scheduledAt))) await step.sleepUntil("wait-until-scheduled", scheduledAt);
      const started = await step.run("start", async () => startTask((await engine()).db, taskId));
      if (!started) return { taskId, started: false };
      const materialized = await materializeAll(step, engine, taskId, materializeBudgetMs);
      const plan = await fanOut(step, engine, taskId, runId);
      return { taskId, started: true, materialized, batches: plan.count };
    },
  );
}
