import { inngest } from "@/inngest/client";
import { TASK_EVENTS, type TaskEventName } from "@/inngest/events";
import { engineMode } from "./config";

type Listener = (event: TaskEventName, taskId: string) => void;
// On globalThis: Next.js may load this module once for instrumentation (where the runner
// listens) and again for route handlers and server actions (where tasks change).
const registry = globalThis as typeof globalThis & { __fanoutTaskListeners?: Set<Listener> };
const listeners = (registry.__fanoutTaskListeners ??= new Set<Listener>());

/** The local runner listens here so it reacts at once instead of at its next tick. */
export function onTaskEvent(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Tells whatever drives the engine that a task changed: an Inngest event when Inngest runs it,
 * else a nudge to the in-process runner. Called after the change has committed; the database
 * stays the truth either way, so a lost nudge only costs a runner tick or a reconciler round.
 */
export async function notifyEngine(event: TaskEventName, task: { id: string; scheduledAt?: Date }): Promise<void> {
  if (engineMode() === "inngest") {
    await inngest.send({ name: TASK_EVENTS[event], data: { taskId: task.id, ...(task.scheduledAt ? { scheduledAt: task.scheduledAt.toISOString() } : {}) } });
    return;
  }
  for (const listener of listeners) listener(event, task.id);
}
