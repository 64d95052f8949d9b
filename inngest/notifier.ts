import type { TaskNotifier } from "@/lib/dispatch/task-changes";
import { inngest } from "./client";
import { TASK_EVENTS, type TaskEventData } from "./events";

/** Task changes as Inngest events, for the functions in inngest/functions/ to act on. */
export const inngestTaskNotifier: TaskNotifier = {
  async taskChanged(change, task) {
    const data: TaskEventData = { taskId: task.id, ...(task.scheduledAt ? { scheduledAt: task.scheduledAt.toISOString() } : {}) };
    await inngest.send({ name: TASK_EVENTS[change], data });
  },
};
