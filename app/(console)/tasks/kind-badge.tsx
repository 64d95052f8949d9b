import { Badge } from "@/components/ui/badge";
import type { TaskKind } from "@/db/schema";

/** The badge of a task that is not a campaign of the console's: a submission through the SMTP entrance, or a post to a group address. */
export function TaskKindBadge({ kind, labels }: { kind: TaskKind; labels: { smtpBadge: string; groupBadge: string } }) {
  if (kind !== "smtp" && kind !== "group") return null;
  return (
    <span className="ml-1.5" data-testid={`task-kind-${kind}`}>
      <Badge tone="indigo">{kind === "smtp" ? labels.smtpBadge : labels.groupBadge}</Badge>
    </span>
  );
}
