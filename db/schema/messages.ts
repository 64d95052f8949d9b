import { sql } from "drizzle-orm";
import { boolean, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { tasks } from "./tasks";

/** What a message's recipient brings besides the address: a display name and its template data. */
export type MessageRecipientData = { name?: string; data?: Record<string, unknown> };

/** The answer POST /api/v1/messages gave, kept so a repeat with the same Idempotency-Key gets it again. */
export type MessageAnswer = { deliveries: { id: string; email: string; status: string }[] };

/**
 * A message accepted by POST /api/v1/messages: its task (kind `message`) holds the recipients as
 * deliveries; this row holds what the engine renders them with that a campaign's task does not
 * have (inline content, each recipient's data) and the idempotency record. Written in the same
 * transaction as the task and its deliveries.
 */
export const messages = pgTable(
  "messages",
  {
    taskId: uuid("task_id")
      .primaryKey()
      .references(() => tasks.id, { onDelete: "cascade" }),
    departmentId: uuid("department_id").notNull(),
    /** Inline content, when the request named no template (the task's template_id is then null). */
    subject: text("subject"),
    html: text("html"),
    text: text("text"),
    /** Data every recipient's render sees, under each recipient's own. */
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    /** By address (as normalised): each recipient's name and data. */
    recipients: jsonb("recipients").$type<Record<string, MessageRecipientData>>().notNull().default({}),
    /** `transactional: true`: unsubscribes do not stop it (hard bounces, complaints and manual suppressions still do). */
    transactional: boolean("transactional").notNull().default(false),
    /** Who the Idempotency-Key belongs to: the department of a department key, "company" for a company key. */
    idempotencyScope: text("idempotency_scope"),
    idempotencyKey: text("idempotency_key"),
    /** SHA-256 of the request as parsed (canonical JSON), to tell "the same request again" from "another request under the same key". */
    requestHash: text("request_hash").notNull(),
    answer: jsonb("answer").$type<MessageAnswer>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    // Enforces one send per key even for requests that arrive at once: the second insert waits for the first's commit, then conflicts.
    uniqueIndex("messages_idempotency_unique").on(table.idempotencyScope, table.idempotencyKey).where(sql`${table.idempotencyKey} is not null`),
    index("messages_department_created_idx").on(table.departmentId, table.createdAt),
  ],
);

export type Message = typeof messages.$inferSelect;
