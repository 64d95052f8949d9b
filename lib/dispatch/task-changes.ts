/** The task changes the engine hears about; "message": a message (POST /api/v1/messages) was accepted, for the priority lane. */
export type TaskChange = "scheduled" | "resumed" | "paused" | "cancelled" | "message";

/**
 * How task changes reach whatever drives the engine. The in-process runner is the default; a
 * driver that runs the engine elsewhere (Inngest, see inngest/notifier.ts) installs its own at boot.
 */
export type TaskNotifier = {
  taskChanged: (change: TaskChange, task: { id: string; scheduledAt?: Date }) => Promise<void>;
};

type Listener = (change: TaskChange, taskId: string) => void;
// On globalThis: Next.js may load this module once for instrumentation (where the runner listens
// and the driver is chosen) and again for route handlers and server actions (where tasks change).
const registry = globalThis as typeof globalThis & { __fanoutTaskDispatch?: { listeners: Set<Listener>; notifier?: TaskNotifier } };
const dispatch = (registry.__fanoutTaskDispatch ??= { listeners: new Set<Listener>() });

/** The local runner listens here so it reacts at once instead of at its next tick. */
export function onTaskEvent(listener: Listener): () => void {
  dispatch.listeners.add(listener);
  return () => dispatch.listeners.delete(listener);
}

const localRunnerNotifier: TaskNotifier = {
  async taskChanged(change, task) {
    for (const listener of dispatch.listeners) listener(change, task.id);
  },
};

/** Installs the driver's notifier (undefined: back to the in-process runner). */
export function setTaskNotifier(notifier: TaskNotifier | undefined): void {
  dispatch.notifier = notifier;
}

/**
 * Tells whatever drives the engine that a task changed. Called after the change has committed;
 * the database stays the truth either way, so a lost nudge only costs a runner tick or a
 * reconciler round.
 */
export async function notifyEngine(change: TaskChange, task: { id: string; scheduledAt?: Date }): Promise<void> {
  await (dispatch.notifier ?? localRunnerNotifier).taskChanged(change, task);
}
