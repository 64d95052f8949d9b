import { boolean, customType, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { departments } from "./accounts";
import { tasks } from "./tasks";

/** Raw bytes (a message as received). */
export const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => "bytea",
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});

/**
 * Department SMTP accounts (域帐号): what a group-send client authenticates with at the SMTP
 * entrance. The user name is unique across the company (AUTH names no department); the
 * password is stored only as a bcrypt hash.
 */
export const smtpAccounts = pgTable(
  "smtp_accounts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    departmentId: uuid("department_id")
      .notNull()
      .references(() => departments.id, { onDelete: "cascade" }),
    /** Lower case; what the client sends in AUTH. */
    username: text("username").notNull(),
    passwordHash: text("password_hash").notNull(),
    disabled: boolean("disabled").notNull().default(false),
    /** Optional limits: messages a minute, recipients a message, client IP ranges (CIDR) allowed to log in. Null: none. */
    messagesPerMinute: integer("messages_per_minute"),
    maxRecipients: integer("max_recipients"),
    allowedIps: jsonb("allowed_ips").$type<string[] | null>(),
    /** Open pixel and click-tracked links in what this account submits (default on, as for console tasks). */
    tracking: boolean("tracking").notNull().default(true),
    note: text("note").notNull().default(""),
    createdBy: text("created_by").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    lastIp: text("last_ip"),
  },
  (table) => [uniqueIndex("smtp_accounts_username_unique").on(table.username), index("smtp_accounts_department_idx").on(table.departmentId)],
);

/**
 * One accepted SMTP submission: the message as the client sent it, the envelope and who sent it.
 * Its task (kind `smtp`) holds the recipients as deliveries; both are written before the 250.
 */
export const smtpSubmissions = pgTable(
  "smtp_submissions",
  {
    taskId: uuid("task_id")
      .primaryKey()
      .references(() => tasks.id, { onDelete: "cascade" }),
    departmentId: uuid("department_id").notNull(),
    accountId: uuid("account_id").references(() => smtpAccounts.id, { onDelete: "set null" }),
    envelopeFrom: text("envelope_from").notNull(),
    raw: bytea("raw").notNull(),
    size: integer("size").notNull(),
    clientIp: text("client_ip").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index("smtp_submissions_account_idx").on(table.accountId, table.createdAt)],
);

export type SmtpAccount = typeof smtpAccounts.$inferSelect;
export type SmtpSubmission = typeof smtpSubmissions.$inferSelect;
