import "server-only";
import { and, asc, eq } from "drizzle-orm";
import { deliveries, deliveryEvents, departments, senders, tasks, type BounceCategory, type DeliveryStatus, type FeedbackEventType, type FeedbackSource } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { authorize, departmentScope } from "@/lib/access/policy";
import { DELIVERY_COLUMNS } from "@/lib/deliveries/listing";
import { notFound } from "@/lib/errors";

export type TrailEntry =
  | { kind: "queued"; at: Date | null }
  | { kind: "event"; id: number; at: Date; type: FeedbackEventType; source: FeedbackSource; machine: boolean; detail: [string, string][] }
  | {
      kind: "answer";
      at: Date | null;
      status: DeliveryStatus;
      category: BounceCategory | null;
      code: number | null;
      enhancedStatus: string | null;
      reply: string | null;
      providerId: string | null;
      messageId: string | null;
      attempts: number;
      nextAttemptAt: Date | null;
    };

/** Keys shown first, in this order; any other plain value an event carried follows. */
const DETAIL_ORDER = ["reply", "code", "enhancedStatus", "status", "category", "url", "userAgent", "ip", "reason"];
const DETAIL_MAX_KEYS = 20;
const DETAIL_MAX_CHARS = 2_000;

/** An event's detail as plain key/value text: nested values and long texts are not sent to the browser whole. */
function plainDetail(detail: Record<string, unknown> | null): [string, string][] {
  if (!detail || typeof detail !== "object") return [];
  const keys = Object.keys(detail).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const out: [string, string][] = [];
  for (const key of keys) {
    const value = detail[key];
    if (value === null || value === undefined || value === "") continue;
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") continue;
    out.push([key, String(value).slice(0, DETAIL_MAX_CHARS)]);
    if (out.length >= DETAIL_MAX_KEYS) break;
  }
  return out;
}

function rank(key: string) {
  const index = DETAIL_ORDER.indexOf(key);
  return index < 0 ? DETAIL_ORDER.length : index;
}

const FINAL: readonly DeliveryStatus[] = ["sent", "delivered", "failed", "suppressed", "cancelled"];

/**
 * One delivery with its task, department and sender, and its trail in time order: queued when
 * the task started, each recorded event (retried replies, provider events, bounces, opens, clicks,
 * unsubscribes), and the send's answer (the last reply, provider id and Message-ID) at the time
 * it came. Another department's delivery is not found, exactly like a missing one.
 */
export async function deliveryTrail(ctx: Ctx, deliveryId: number) {
  authorize(ctx.actor, "reports.view");
  if (!Number.isSafeInteger(deliveryId) || deliveryId <= 0) throw notFound("delivery");
  const [delivery] = await ctx.db
    .select({
      ...DELIVERY_COLUMNS,
      firstOpenAt: deliveries.firstOpenAt,
      firstClickAt: deliveries.firstClickAt,
      address: deliveries.address,
      segments: deliveries.segments,
      channel: tasks.channel,
      taskName: tasks.name,
      taskStartedAt: tasks.startedAt,
      taskScheduledAt: tasks.scheduledAt,
      fromName: tasks.fromName,
      senderAddress: senders.address,
      senderName: senders.name,
      department: departments.name,
    })
    .from(deliveries)
    .innerJoin(tasks, eq(tasks.id, deliveries.taskId))
    .leftJoin(senders, eq(senders.id, tasks.senderId))
    .leftJoin(departments, eq(departments.id, deliveries.departmentId))
    .where(and(eq(deliveries.id, deliveryId), departmentScope(ctx.actor, deliveries.departmentId)))
    .limit(1);
  if (!delivery) throw notFound("delivery");

  const events = await ctx.db
    .select({
      id: deliveryEvents.id,
      type: deliveryEvents.type,
      source: deliveryEvents.source,
      machine: deliveryEvents.machine,
      detail: deliveryEvents.detail,
      occurredAt: deliveryEvents.occurredAt,
    })
    .from(deliveryEvents)
    .where(and(eq(deliveryEvents.deliveryId, delivery.id), eq(deliveryEvents.departmentId, delivery.departmentId)))
    .orderBy(asc(deliveryEvents.occurredAt), asc(deliveryEvents.id))
    .limit(1_000);

  const answerAt = delivery.sentAt ?? (FINAL.includes(delivery.status) ? delivery.updatedAt : null);
  const answer: TrailEntry = {
    kind: "answer",
    at: answerAt,
    status: delivery.status,
    category: delivery.category,
    code: delivery.code,
    enhancedStatus: delivery.enhancedStatus,
    reply: delivery.error,
    providerId: delivery.providerId,
    messageId: delivery.messageId,
    attempts: delivery.attempts,
    nextAttemptAt: delivery.status === "queued" && delivery.attempts > 0 ? delivery.nextAttemptAt : null,
  };
  const timeline: TrailEntry[] = [{ kind: "queued", at: delivery.taskStartedAt ?? delivery.taskScheduledAt }];
  let placed = false;
  for (const event of events) {
    // The answer goes where its time falls: after the retries before it, before the feedback after it.
    if (!placed && answerAt && event.occurredAt.getTime() > answerAt.getTime()) {
      timeline.push(answer);
      placed = true;
    }
    timeline.push({ kind: "event", id: event.id, at: event.occurredAt, type: event.type, source: event.source, machine: event.machine, detail: plainDetail(event.detail) });
  }
  if (!placed) timeline.push(answer);

  const { taskStartedAt: _started, taskScheduledAt: _scheduled, senderAddress, senderName, fromName, ...rest } = delivery;
  return {
    delivery: {
      ...rest,
      department: delivery.department ?? "",
      sender: senderAddress ? { address: senderAddress, name: fromName || senderName || "" } : null,
    },
    timeline,
  };
}

export type DeliveryTrail = Awaited<ReturnType<typeof deliveryTrail>>;
