import { decideAbTest } from "@/lib/sending/ab-test";
import { inngest } from "../client";
import { TASK_EVENTS, abTestWaitingEvent, type TaskEventData } from "../events";
import { cancelOnTask, type EngineSource } from "./steps";

/**
 * An A/B test's wait (the reconciler starts it once the test share has all been answered): sleeps
 * until the rule's time, lets the rule decide and has the rest materialised. A test decided by hand
 * meanwhile, paused or cancelled is left as it is (decideAbTest answers null); a lost run costs at
 * most a minute, as the reconciler decides due tests too.
 */
export function abTestWinnerFunction(engine: EngineSource) {
  return inngest.createFunction(
    { id: "ab-test-winner", name: "Choose an A/B test's winner after its wait", triggers: [abTestWaitingEvent], cancelOn: cancelOnTask },
    async ({ event, step }) => {
      const { taskId, decideAt } = event.data;
      await step.sleepUntil("wait-for-the-test", decideAt);
      const decision = await step.run("decide", async () => decideAbTest((await engine()).db, taskId, { by: "rule" }));
      if (decision) await step.sendEvent("send-the-rest", { id: `ab-rest-${taskId}`, name: TASK_EVENTS.resumed, data: { taskId } satisfies TaskEventData });
      return { taskId, decided: decision !== null, chosen: decision?.chosen ?? null };
    },
  );
}
