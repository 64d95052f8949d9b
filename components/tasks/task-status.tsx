import { Badge } from "@/components/ui/badge";
import type { TaskStatus } from "@/db/schema";

const TONES = { scheduled: "slate", sending: "indigo", paused: "amber", completed: "green", cancelled: "slate", failed: "red" } as const;

/** A task's status in words and colour; the words come from the caller's catalogue. */
export function TaskStatusBadge({ status, labels }: { status: TaskStatus; labels: Record<TaskStatus, string> }) {
  return <Badge tone={TONES[status]}>{labels[status]}</Badge>;
}

/** Statuses in which the engine may still move the counters on its own. */
export function isLive(status: TaskStatus): boolean {
  return status === "scheduled" || status === "sending";
}
