import { Badge } from "@/components/ui/badge";
import type { DeliveryStatus } from "@/db/schema";

const TONES: Record<DeliveryStatus, "slate" | "green" | "red" | "amber" | "indigo"> = {
  queued: "slate",
  sending: "indigo",
  sent: "green",
  delivered: "green",
  failed: "red",
  suppressed: "amber",
  cancelled: "slate",
};

/** A delivery's status in words and colour; the words come from the caller's catalogue. */
export function DeliveryStatusBadge({ status, labels }: { status: DeliveryStatus; labels: Record<DeliveryStatus, string> }) {
  return <Badge tone={TONES[status]}>{labels[status]}</Badge>;
}
