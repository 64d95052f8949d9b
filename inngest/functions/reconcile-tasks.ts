import { findLostWork } from "@/lib/sending/batch-chains";
import { sendNotificationEmails } from "@/lib/notifications/email";
import { reconcile } from "@/lib/sending/reconcile";
import { inngest } from "../client";
import { AB_TEST_WAITING, TASK_EVENTS, type AbTestWaitingData, type TaskEventData } from "../events";
import { advanceAbTests } from "@/lib/sending/ab-test";
import { batchEvents, type EngineSource } from "./steps";

const CRON_EVERY_MINUTE = "* * * * *";

/**
 * Every minute: re-queues expired leases and completes finished tasks (reconcile), then
 * restarts work whose events were lost: batch chains for sending tasks with due recipients
 * that nothing is working on, the scheduler for due tasks still waiting to start, and
 * materialisation for tasks whose scheduler run died half-way; starts the waits of A/B tests whose
 * share has been answered (ab-test-winner sleeps through each) and decides those due. Then sends the e-mail copies of
 * new notifications.
 */
export function reconcileTasksFunction(engine: EngineSource) {
  return inngest.createFunction(
    { id: "task-reconciler", name: "Reconcile send tasks", triggers: [{ cron: CRON_EVERY_MINUTE }], concurrency: { limit: 1 } },
    async ({ step, runId }) => {
      const reconciled = await step.run("reconcile", async () => reconcile((await engine()).db));
      const lost = await step.run("find-lost-work", async () => findLostWork(await engine(), reconciled.requeued));
      const abTests = await step.run("ab-tests", async () => advanceAbTests((await engine()).db));
      const events = [
        ...abTests.waiting.map((wait) => ({ id: `ab-wait-${wait.taskId}`, name: AB_TEST_WAITING, data: wait satisfies AbTestWaitingData })),
        ...abTests.decided.map((taskId) => ({ id: `ab-rest-${taskId}`, name: TASK_EVENTS.resumed, data: { taskId } satisfies TaskEventData })),
        ...lost.batchPlans.flatMap((plan) => batchEvents(plan, `fanout-${runId}-${plan.taskId}`)),
        ...lost.scheduled.map((taskId) => ({ id: `fanout-${runId}-${taskId}-scheduled`, name: TASK_EVENTS.scheduled, data: { taskId } satisfies TaskEventData })),
        ...lost.stalled.map((taskId) => ({ id: `fanout-${runId}-${taskId}-resumed`, name: TASK_EVENTS.resumed, data: { taskId } satisfies TaskEventData })),
      ];
      if (events.length > 0) await step.sendEvent("recover", events);
      const notificationEmails = await step.run("notification-emails", async () => sendNotificationEmails((await engine()).db));
      return { ...reconciled, notificationEmails, abWaits: abTests.waiting.length, abDecided: abTests.decided.length, batchChains: events.filter((item) => item.name === TASK_EVENTS.batch).length, scheduled: lost.scheduled.length, stalled: lost.stalled.length };
    },
  );
}
