import { Badge } from "@/components/ui/badge";
import type { AutomationStatus } from "@/db/schema";

/** Active in green, paused in amber; the status is in `data-status` for tests and scripts. */
export function AutomationStatusBadge({ status, labels }: { status: AutomationStatus; labels: Record<AutomationStatus, string> }) {
  return (
    <span data-testid="automation-status" data-status={status}>
      <Badge tone={status === "active" ? "green" : "amber"}>{labels[status]}</Badge>
    </span>
  );
}
