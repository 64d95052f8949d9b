import type { ImportDriver } from "@/lib/dispatch/import-runs";
import type { TaskNotifier } from "@/lib/dispatch/task-changes";
import { inngest } from "./client";
import { IMPORT_STARTED, TASK_EVENTS, type ImportEventData, type TaskEventData } from "./events";

/** Task changes as Inngest events, for the functions in inngest/functions/ to act on. */
export const inngestTaskNotifier: TaskNotifier = {
  async taskChanged(change, task) {
    const data: TaskEventData = { taskId: task.id, ...(task.scheduledAt ? { scheduledAt: task.scheduledAt.toISOString() } : {}) };
    await inngest.send({ name: TASK_EVENTS[change], data });
  },
};

/** Started imports as Inngest events, for inngest/functions/import-file.ts. */
export const inngestImportDriver: ImportDriver = {
  async importStarted(importId) {
    const data: ImportEventData = { importId };
    await inngest.send({ name: IMPORT_STARTED, data });
  },
};
