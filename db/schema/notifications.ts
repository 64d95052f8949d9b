import { sql } from "drizzle-orm";
import { boolean, index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { departments, users } from "./accounts";

/** What a notification is about; each links to the page where it is dealt with. */
export const NOTIFICATION_KINDS = ["guardPause", "taskFailed", "quotaLow", "domainDnsBroken", "webhookDisabled"] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/**
 * Console notifications (the bell): one row per event, seen by the users of its department and by
 * admins, or by admins only when `department_id` is null. `dedupe_key` makes "once per quota
 * period" and "once per DNS state change" a unique index rather than a check.
 */
export const notifications = pgTable(
  "notifications",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    departmentId: uuid("department_id").references(() => departments.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: NOTIFICATION_KINDS }).notNull(),
    params: jsonb("params").$type<Record<string, string | number | null>>().notNull().default({}),
    link: text("link").notNull(),
    dedupeKey: text("dedupe_key").unique(),
    /** Set when the e-mail copies were taken for sending (at most once). */
    emailedAt: timestamp("emailed_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index("notifications_department_created_idx").on(table.departmentId, table.createdAt),
    index("notifications_created_idx").on(table.createdAt),
    // The e-mail sweep's queue: only notifications whose copies were not yet taken.
    index("notifications_unemailed_idx").on(table.createdAt).where(sql`${table.emailedAt} is null`),
  ],
);

export const notificationReads = pgTable(
  "notification_reads",
  {
    notificationId: uuid("notification_id")
      .notNull()
      .references(() => notifications.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    readAt: timestamp("read_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.notificationId, table.userId] }), index("notification_reads_user_idx").on(table.userId)],
);

/** A user's choice to get notifications by e-mail too (off unless turned on). */
export const notificationPreferences = pgTable("notification_preferences", {
  userId: uuid("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  email: boolean("email").notNull().default(false),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export type Notification = typeof notifications.$inferSelect;
