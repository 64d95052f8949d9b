import { findLostWork } from "@/lib/sending/batch-chains";
import { sendNotificationEmails } from "@/lib/notifications/email";
import { reconcile } from "@/lib/sending/reconcile";
import { inngest } from "../client";
import { TASK_EVENTS, type TaskEventData } from "../events";
import { batchEvents, type EngineSource } from "./steps";

const CRON_EVERY_MINUTE = "* * * * *";

/**
 * Every minute: re-queues expired leases and completes finished tasks (reconcile), then
 * restarts work whose events were lost: batch chains for sending tasks with due recipients
 * that nothing is working on, the scheduler for due tasks still waiting to start, and
 * materialisation for tasks whose scheduler run died half-way. Then sends the e-mail copies of
 * new notifications.
 */
export function reconcileTasksFunction(engine: EngineSource) {
  return inngest.createFunction(
    { id: "task-reconciler", name: "Reconcile send tasks", triggers: [{ cron: CRON_EVERY_MINUTE }], concurrency: { limit: 1 } },
    async ({ step, runId }) => {
      const reconciled = await step.run("reconcile", async () => reconcile((await engine()).db));
      const lost = await step.run("find-lost-work", async () => findLostWork(await engine(), reconciled.requeued));
      const events = [
        ...lost.batchPlans.flatMap((plan) => batchEvents(plan, `fanout-${runId}-${plan.taskId}`)),
        ...lost.scheduled.map((taskId) => ({ id: `fanout-${runId}-${taskId}-scheduled`, name: TASK_EVENTS.scheduled, data: { taskId } satisfies TaskEventData })),
        ...lost.stalled.map((taskId) => ({ id: `fanout-${runId}-${taskId}-resumed`, name: TASK_EVENTS.resumed, data: { taskId } satisfies TaskEventData })),
      ];
      if (events.length > 0) await step.sendEvent("recover", events);
      const notificationEmails = await step.run("notification-emails", async () => sendNotificationEmails((await engine()).db));
      return { ...reconciled, notificationEmails, batchChains: events.filter((item) => item.name === TASK_EVENTS.batch).length, scheduled: lost.scheduled.length, stalled: lost.stalled.length };
    },
  );
}
