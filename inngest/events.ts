/** The events that drive the send engine under Inngest; data always names the task. */
export const TASK_EVENTS = {
  scheduled: "fanout/task.scheduled",
  resumed: "fanout/task.resumed",
  paused: "fanout/task.paused",
  cancelled: "fanout/task.cancelled",
  batch: "fanout/task.batch",
} as const;

export type TaskEventName = keyof typeof TASK_EVENTS;

export type TaskEventData = { taskId: string; scheduledAt?: string };
/** A batch event also says which transport and sender domain it sends through, for concurrency and throttle keys. */
export type BatchEventData = { taskId: string; transport: string; domain: string };
