import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { departments } from "./accounts";

/** The kinds of change a business system can hear about (API.md, `POST /api/v1/webhooks`). */
export const WEBHOOK_EVENT_TYPES = ["sent", "delivered", "bounced", "complained", "opened", "clicked", "unsubscribed", "subscribed", "replied"] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Why an endpoint stopped: its owner turned it off, it answered 410 Gone, or it failed for 24 hours. */
export const WEBHOOK_DISABLED_REASONS = ["manual", "gone", "failing"] as const;
export type WebhookDisabledReason = (typeof WEBHOOK_DISABLED_REASONS)[number];

/**
 * A receiver subscribed to some kinds of event of one department, or of every department when
 * `department_id` is null (company-wide, made by an admin or a company key). The signing secret is
 * kept encrypted (lib/webhooks/secret-box.ts): it must be read back to sign, so it cannot be hashed.
 */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    departmentId: uuid("department_id").references(() => departments.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    events: text("events").array().$type<WebhookEventType[]>().notNull(),
    secretCipher: text("secret_cipher").notNull(),
    enabled: boolean("enabled").notNull().default(true),
    disabledReason: text("disabled_reason", { enum: WEBHOOK_DISABLED_REASONS }),
    disabledAt: timestamp("disabled_at", { withTimezone: true }),
    createdBy: text("created_by").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index("webhook_endpoints_department_idx").on(table.departmentId)],
);

export const WEBHOOK_MESSAGE_STATUSES = ["pending", "delivered", "failed"] as const;
export type WebhookMessageStatus = (typeof WEBHOOK_MESSAGE_STATUSES)[number];

/**
 * The outbox: one event for one endpoint, written in the transaction of the change it reports, then
 * delivered (and retried) by lib/webhooks/deliver.ts. Its id is the Standard Webhooks `webhook-id`,
 * the same on every attempt so a receiver can drop a repeat. The row is its own delivery log entry.
 */
export const webhookMessages = pgTable(
  "webhook_messages",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    endpointId: uuid("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    /** The department of the change (a company-wide endpoint hears every department's). */
    departmentId: uuid("department_id"),
    type: text("type").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    status: text("status", { enum: WEBHOOK_MESSAGE_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    /** While a worker posts it; a crashed worker's lease runs out and the message is taken again. */
    leaseUntil: timestamp("lease_until", { withTimezone: true }),
    lastStatusCode: integer("last_status_code"),
    lastResponse: text("last_response"),
    lastError: text("last_error"),
    lastAttemptAt: timestamp("last_attempt_at", { withTimezone: true }),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index("webhook_messages_due_idx").on(table.nextAttemptAt).where(sql`status = 'pending'`), index("webhook_messages_endpoint_idx").on(table.endpointId, table.id)],
);

export type WebhookEndpoint = typeof webhookEndpoints.$inferSelect;
export type WebhookMessage = typeof webhookMessages.$inferSelect;
