import { sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import type { BounceCategory, DeliveryStatus, FeedbackEventType, FeedbackSource } from "@/db/schema";
import { readEnv } from "@/lib/config/env";
import { zonedDate } from "@/lib/time/zone";

/**
 * The pieces every kind of feedback (bounce, complaint, provider event, open, click, unsubscribe)
 * moves together in one transaction: the delivery row (locked), its trail, and the daily rollup
 * the reports read (invariant 7). Task counters are moved by each caller, which knows which ones.
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
  }>(
    tx,
    sql`select d.id, d.task_id, d.department_id, d.contact_id, d.email, d.status, d.category, d.sent_at, d.delivered_at, d.bounced_at,
               d.complained_at, d.unsubscribed_at, d.first_open_at, d.first_click_at, t.client_ip, lower(sd.domain) as sender_domain
        from deliveries d
        join tasks t on t.id = d.task_id
        join senders s on s.id = t.sender_id
        join sender_domains sd on sd.id = s.domain_id
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

/** Appends to the delivery's trail; false when an event with the same dedupe key is already there. */
export async function recordEvent(tx: Executor, delivery: Pick<LockedDelivery, "id" | "departmentId">, event: FeedbackEvent): Promise<boolean> {
  const inserted = await queryRows<{ id: string | number }>(
    tx,
    sql`insert into delivery_events (delivery_id, department_id, type, source, machine, detail, dedupe_key, occurred_at)
        values (${delivery.id}, ${delivery.departmentId}, ${event.type}, ${event.source}, ${event.machine ?? false},
                ${JSON.stringify(event.detail ?? {})}::jsonb, ${event.dedupeKey ?? null}, ${(event.occurredAt ?? new Date()).toISOString()})
        on conflict (dedupe_key) do nothing
        returning id`,
  );
  return inserted.length > 0;
}

export const ROLLUP_COUNTS = [
  "sent",
  "failed",
  "user_unknown",
  "mailbox_full",
  "rejected",
  "other",
  "delivered",
  "bounced",
  "complained",
  "unsubscribed",
  "opened",
  "clicked",
  "machine_opened",
  "machine_clicked",
] as const;
export type RollupCount = (typeof ROLLUP_COUNTS)[number];

export type RollupKey = Pick<LockedDelivery, "departmentId" | "clientIp" | "senderDomain">;
export type RollupCounts = Partial<Record<RollupCount, number>>;

/**
 * Adds to the day's rollups (the day in FANOUT_TIMEZONE that `at` falls on) for one department,
 * client IP and sender domain: a row per recipient domain in `delivery_daily`, and their sum in
 * `delivery_daily_sender`, which every report but failures by recipient domain reads. Rows are
 * written in domain order, so concurrent writers lock them in the same order.
 */
export async function addToRollups(tx: Executor, key: RollupKey, byRecipientDomain: { recipientDomain: string; counts: RollupCounts }[], at: Date = new Date()): Promise<void> {
  const columns = ROLLUP_COUNTS.filter((column) => byRecipientDomain.some((group) => (group.counts[column] ?? 0) !== 0));
  if (columns.length === 0) return;
  const day = zonedDate(at, readEnv().timeZone);
  const groups = [...byRecipientDomain].sort((a, b) => (a.recipientDomain < b.recipientDomain ? -1 : a.recipientDomain > b.recipientDomain ? 1 : 0));
  const records = groups.map((group) => ({ domain: group.recipientDomain, ...Object.fromEntries(columns.map((column) => [column, group.counts[column] ?? 0])) }));
  const names = sql.raw(columns.join(", "));
  const recordType = sql.raw(["domain text", ...columns.map((column) => `${column} int`)].join(", "));
  const picked = sql.raw(columns.map((column) => `g.${column}`).join(", "));
  const summed = sql.raw(columns.map((column) => `sum(g.${column})`).join(", "));
  const add = (table: string) => sql.raw(columns.map((column) => `${column} = ${table}.${column} + excluded.${column}`).join(", "));
  const json = JSON.stringify(records);
  await tx.execute(sql`
    insert into delivery_daily (day, department_id, client_ip, sender_domain, recipient_domain, ${names})
    select ${day}::date, ${key.departmentId}, ${key.clientIp}, ${key.senderDomain}, g.domain, ${picked}
    from json_to_recordset(${json}::json) as g(${recordType})
    on conflict (day, department_id, client_ip, sender_domain, recipient_domain) do update set ${add("delivery_daily")}`);
  await tx.execute(sql`
    insert into delivery_daily_sender (day, department_id, client_ip, sender_domain, ${names})
    select ${day}::date, ${key.departmentId}, ${key.clientIp}, ${key.senderDomain}, ${summed}
    from json_to_recordset(${json}::json) as g(${recordType})
    on conflict (day, department_id, client_ip, sender_domain) do update set ${add("delivery_daily_sender")}`);
}

/** Adds one delivery's feedback to the rollups of the day it arrived, keyed like the send it follows. */
export async function addToRollup(tx: Executor, delivery: RollupKey & Pick<LockedDelivery, "email">, counts: RollupCounts, at: Date = new Date()): Promise<void> {
  await addToRollups(tx, delivery, [{ recipientDomain: recipientDomainOf(delivery.email), counts }], at);
}

export function recipientDomainOf(email: string): string {
  return email.slice(email.lastIndexOf("@") + 1);
}
