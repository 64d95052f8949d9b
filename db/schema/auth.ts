import { sql } from "drizzle-orm";
import { index, pgTable, text, timestamp, uuid, bigserial } from "drizzle-orm/pg-core";
import { departments, users } from "./accounts";

/** API keys: only a SHA-256 of the secret is stored; the key is shown once. */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull().default(""),
    /** The key's first characters, shown in lists so people can tell keys apart. */
    prefix: text("prefix").notNull(),
    secretHash: text("secret_hash").notNull().unique(),
    /** Null for a company key. */
    departmentId: uuid("department_id").references(() => departments.id, { onDelete: "cascade" }),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (table) => [index("api_keys_department_idx").on(table.departmentId)],
);

/** Failed sign-ins, counted per account and per IP over a sliding minute. */
export const loginFailures = pgTable(
  "login_failures",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    email: text("email").notNull(),
    ip: text("ip").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index("login_failures_email_idx").on(sql`lower(${table.email})`, table.at),
    index("login_failures_ip_idx").on(table.ip, table.at),
  ],
);

export type ApiKey = typeof apiKeys.$inferSelect;
