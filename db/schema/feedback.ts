import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { deliveries, tasks } from "./tasks";

/**
 * What happened to a delivery after (or between) send attempts, in order: the replies of retried
 * attempts, provider events, bounces and complaints that came back, opens, clicks, unsubscribes.
 * The delivery log shows them as the delivery's trail; `dedupe_key` (a webhook's id) makes a
 * redelivered event a no-op.
 */
export const FEEDBACK_EVENT_TYPES = ["retry", "sent", "delivered", "delayed", "bounced", "failed", "complained", "opened", "clicked", "unsubscribed", "auto_reply", "replied"] as const;
export type FeedbackEventType = (typeof FEEDBACK_EVENT_TYPES)[number];

export const FEEDBACK_SOURCES = ["smtp", "resend", "inbound", "tracking", "recipient", "channel"] as const;
export type FeedbackSource = (typeof FEEDBACK_SOURCES)[number];

export const deliveryEvents = pgTable(
  "delivery_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    deliveryId: bigint("delivery_id", { mode: "number" })
      .notNull()
      .references(() => deliveries.id, { onDelete: "cascade" }),
    departmentId: uuid("department_id").notNull(),
    type: text("type", { enum: FEEDBACK_EVENT_TYPES }).notNull(),
    source: text("source", { enum: FEEDBACK_SOURCES }).notNull(),
    /** Likely a machine (privacy prefetcher, link scanner): kept, left out of the rates. */
    machine: boolean("machine").notNull().default(false),
    /** Reply text, category, enhanced status, URL, user agent, IP: whatever the event carried. */
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default({}),
    dedupeKey: text("dedupe_key"),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index("delivery_events_delivery_idx").on(table.deliveryId, table.id),
    uniqueIndex("delivery_events_dedupe_unique").on(table.dedupeKey),
    // Replies by SMS or WhatsApp per department and time, for the reports' reply counts (decision 0091): a few rows beside the opens and clicks.
    index("delivery_events_replied_idx").on(table.departmentId, table.occurredAt).where(sql`${table.type} = 'replied'`),
  ],
);

/** Clicks per link of a task (the per-task report's top links), moved with each click. */
export const taskLinks = pgTable(
  "task_links",
  {
    taskId: uuid("task_id")
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    clicks: integer("clicks").notNull().default(0),
    /** Deliveries whose person clicked this link at least once. */
    uniqueClicks: integer("unique_clicks").notNull().default(0),
    machineClicks: integer("machine_clicks").notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.taskId, table.url] })],
);

export type DeliveryEvent = typeof deliveryEvents.$inferSelect;
