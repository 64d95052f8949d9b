import { eventType, staticSchema } from "inngest";
import type { TaskChange } from "@/lib/dispatch/task-changes";

/** The events that drive the send engine under Inngest; data always names the task. */
export const TASK_EVENTS = {
  scheduled: "fanout/task.scheduled",
  resumed: "fanout/task.resumed",
  paused: "fanout/task.paused",
  cancelled: "fanout/task.cancelled",
  batch: "fanout/task.batch",
  /** A message (POST /api/v1/messages) was accepted: its own function, apart from campaign batches (the priority lane). */
  message: "fanout/message.accepted",
} as const satisfies Record<TaskChange | "batch", string>;

export type TaskEventData = { taskId: string; scheduledAt?: string };
/** A batch event also says which transport and sender domain it sends through, for concurrency and throttle keys. */
export type BatchEventData = { taskId: string; transport: string; domain: string };

/** Typed triggers for the functions in inngest/functions/ (types only: the data is our own). */
export const taskScheduledEvent = eventType(TASK_EVENTS.scheduled, { schema: staticSchema<TaskEventData>() });
export const taskResumedEvent = eventType(TASK_EVENTS.resumed, { schema: staticSchema<TaskEventData>() });
export const taskCancelledEvent = eventType(TASK_EVENTS.cancelled, { schema: staticSchema<TaskEventData>() });
export const messageAcceptedEvent = eventType(TASK_EVENTS.message, { schema: staticSchema<TaskEventData>() });
export const taskBatchEvent = eventType(TASK_EVENTS.batch, { schema: staticSchema<BatchEventData>() });

/** An A/B test's share has all been answered and its wait started (lib/sending/ab-test.ts): decide at decideAt. */
export const AB_TEST_WAITING = "fanout/ab-test.waiting";
export type AbTestWaitingData = { taskId: string; decideAt: string };
export const abTestWaitingEvent = eventType(AB_TEST_WAITING, { schema: staticSchema<AbTestWaitingData>() });

/** An import was started (lib/dispatch/import-runs.ts): inngest/functions/import-file.ts runs it in steps. */
export const IMPORT_STARTED = "fanout/import.started";
export type ImportEventData = { importId: string };
export const importStartedEvent = eventType(IMPORT_STARTED, { schema: staticSchema<ImportEventData>() });
