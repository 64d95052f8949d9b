import { BOUNCE_CATEGORIES, DELIVERY_STATUSES } from "@/db/schema";
import { isDeliveryLogCursor } from "@/lib/deliveries/cursor";
import type { DeliveryLogFilters } from "@/lib/deliveries/listing";
import { isIsoDate } from "@/lib/time/zone";
import { isUuid } from "@/lib/ids";

/** The delivery log's filters from a query string; a value that is not one the form gives is left out. */
export function deliveryLogFilters(get: (name: string) => string | null | undefined): DeliveryLogFilters {
  const text = (name: string) => get(name)?.trim() || undefined;
  const taskId = text("taskId");
  const status = text("status");
  const category = text("category");
  const from = text("from");
  const to = text("to");
  const before = text("before");
  return {
    q: text("q")?.slice(0, 320),
    taskId: taskId && isUuid(taskId) ? taskId : undefined,
    status: DELIVERY_STATUSES.find((value) => value === status),
    category: BOUNCE_CATEGORIES.find((value) => value === category),
    from: from && isIsoDate(from) ? from : undefined,
    to: to && isIsoDate(to) ? to : undefined,
    before: before && isDeliveryLogCursor(before) ? before : undefined,
  };
}

/** A query string for the filters (the keyset cursor too when given), empty values left out. */
export function deliveryLogQuery(filters: DeliveryLogFilters): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value !== undefined && value !== "") query.set(key, String(value));
  const text = query.toString();
  return text ? `?${text}` : "";
}
