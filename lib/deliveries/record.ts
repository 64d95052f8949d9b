import "server-only";
import { sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import type { BounceCategory, DeliveryStatus, FeedbackEventType, FeedbackSource, WebhookEventType } from "@/db/schema";
import { emitWebhookEvent } from "@/lib/webhooks/emit";
import { recipientDomainOf } from "./rollups";

/**
 * The delivery record that every kind of feedback (bounce, complaint, provider event, open, click,
 * unsubscribe) moves in one transaction with the daily rollup (./rollups.ts, invariant 7): the row,
 * locked, and its trail. Task counters are moved by each caller, which knows which ones.
 */

/** A delivery with what its rollup row is keyed by, locked for the rest of the transaction. */
export type LockedDelivery = {
  id: number;
  taskId: string;
  departmentId: string;
  contactId: number | null;
  email: string;
  status: DeliveryStatus;
  category: BounceCategory | null;
  sentAt: Date | null;
  deliveredAt: Date | null;
  bouncedAt: Date | null;
  complainedAt: Date | null;
  unsubscribedAt: Date | null;
  firstOpenAt: Date | null;
  firstClickAt: Date | null;
  clientIp: string;
  senderDomain: string;
  /** What rollups key the recipient by: the address's domain, or for a channel's delivery (SMS) the channel, as the engine writes them. */
  recipientDomain: string;
};

export async function lockDelivery(tx: Executor, deliveryId: number): Promise<LockedDelivery | null> {
  if (!Number.isSafeInteger(deliveryId) || deliveryId <= 0) return null;
  const [row] = await queryRows<{
    id: string | number;
    task_id: string;
    department_id: string;
    contact_id: string | number | null;
    email: string;
    status: DeliveryStatus;
    category: BounceCategory | null;
    sent_at: string | Date | null;
    delivered_at: string | Date | null;
    bounced_at: string | Date | null;
    complained_at: string | Date | null;
    unsubscribed_at: string | Date | null;
    first_open_at: string | Date | null;
    first_click_at: string | Date | null;
    client_ip: string;
    sender_domain: string;
    channel: string;
  }>(
    tx,
    sql`select d.id, d.task_id, d.department_id, d.contact_id, d.email, d.status, d.category, d.sent_at, d.delivered_at, d.bounced_at,
               d.complained_at, d.unsubscribed_at, d.first_open_at, d.first_click_at, t.client_ip,
               coalesce(lower(sd.domain), t.channel) as sender_domain, t.channel
        from deliveries d
        join tasks t on t.id = d.task_id
        -- A task on another channel (SMS) has no sender: its rollups stand under the channel's name, as the engine writes them.
        left join senders s on s.id = t.sender_id
        left join sender_domains sd on sd.id = s.domain_id
        where d.id = ${deliveryId}
        for update of d`,
  );
  if (!row) return null;
  const time = (value: string | Date | null) => (value === null ? null : new Date(value));
  return {
    id: Number(row.id),
    taskId: row.task_id,
    departmentId: row.department_id,
    contactId: row.contact_id === null ? null : Number(row.contact_id),
    email: row.email,
    status: row.status,
    category: row.category,
    sentAt: time(row.sent_at),
    deliveredAt: time(row.delivered_at),
    bouncedAt: time(row.bounced_at),
    complainedAt: time(row.complained_at),
    unsubscribedAt: time(row.unsubscribed_at),
    firstOpenAt: time(row.first_open_at),
    firstClickAt: time(row.first_click_at),
    clientIp: row.client_ip,
    senderDomain: row.sender_domain,
    recipientDomain: row.channel === "email" ? recipientDomainOf(row.email) : row.channel,
  };
}

export type FeedbackEvent = {
  type: FeedbackEventType;
  source: FeedbackSource;
  machine?: boolean;
  detail?: Record<string, unknown>;
  /** A provider's event id: the same key twice records once (webhooks are redelivered). */
  dedupeKey?: string;
  occurredAt?: Date;
};

/**
 * The trail events a business system hears about through webhooks, as the kind it subscribes to. A
 * provider's "sent" is left out: the engine reports the send itself (lib/sending/batch.ts).
 */
const WEBHOOK_KIND_OF: Partial<Record<FeedbackEventType, WebhookEventType>> = {
  delivered: "delivered",
  bounced: "bounced",
  failed: "bounced",
  complained: "complained",
  opened: "opened",
  clicked: "clicked",
  unsubscribed: "unsubscribed",
};

const WEBHOOK_DETAIL_KEYS = ["category", "hard", "status", "url", "method", "feedbackType", "inferredFrom"] as const;

/**
 * Appends to the delivery's trail, and in the same transaction to the webhook outbox when the
 * department listens for that kind; false when an event with the same dedupe key is already there.
 */
export async function recordEvent(tx: Executor, delivery: Pick<LockedDelivery, "id" | "departmentId" | "taskId" | "email">, event: FeedbackEvent): Promise<boolean> {
  const inserted = await queryRows<{ id: string | number }>(
    tx,
    sql`insert into delivery_events (delivery_id, department_id, type, source, machine, detail, dedupe_key, occurred_at)
        values (${delivery.id}, ${delivery.departmentId}, ${event.type}, ${event.source}, ${event.machine ?? false},
                ${JSON.stringify(event.detail ?? {})}::jsonb, ${event.dedupeKey ?? null}, ${(event.occurredAt ?? new Date()).toISOString()})
        on conflict (dedupe_key) do nothing
        returning id`,
  );
  if (inserted.length === 0) return false;
  const kind = WEBHOOK_KIND_OF[event.type];
  if (kind) {
    const detail = Object.fromEntries(WEBHOOK_DETAIL_KEYS.filter((key) => event.detail?.[key] !== undefined).map((key) => [key, event.detail![key]]));
    await emitWebhookEvent(tx, delivery.departmentId, kind, {
      deliveryId: delivery.id,
      taskId: delivery.taskId,
      email: delivery.email,
      ...detail,
      ...(event.machine ? { machine: true } : {}),
      occurredAt: (event.occurredAt ?? new Date()).toISOString(),
    });
  }
  return true;
}
