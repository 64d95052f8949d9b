import { index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { departments } from "./accounts";

/** Messages "sent" through the outbox transport: the rendered MIME, kept for viewing. */
export const outboxMessages = pgTable(
  "outbox_messages",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    departmentId: uuid("department_id").references(() => departments.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    fromAddress: text("from_address").notNull(),
    toAddress: text("to_address").notNull(),
    subject: text("subject").notNull(),
    messageId: text("message_id").notNull(),
    mime: text("mime").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index("outbox_created_idx").on(table.createdAt), index("outbox_to_idx").on(table.toAddress)],
);

export type OutboxMessage = typeof outboxMessages.$inferSelect;
