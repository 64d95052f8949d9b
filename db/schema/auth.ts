import { index, integer, pgTable, text, timestamp, uuid, bigserial } from "drizzle-orm/pg-core";
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
    /**
     * The user who made the key; null when the command line or the system did. Disabling the
     * user revokes their keys; deleting the user's row deletes them, so no key outlives its maker.
     */
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    /** Requests a minute this key may make; null: FANOUT_RATE_LIMIT_API. */
    rateLimitPerMinute: integer("rate_limit_per_minute"),
  },
  (table) => [index("api_keys_department_idx").on(table.departmentId), index("api_keys_created_by_idx").on(table.createdBy)],
);

/**
 * Failed sign-ins per IP over a sliding minute. An attempt's row is written before its
 * password is checked (and removed again when it succeeds), so a parallel burst counts itself.
 */
export const loginFailures = pgTable(
  "login_failures",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    email: text("email").notNull(),
    ip: text("ip").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index("login_failures_ip_idx").on(table.ip, table.at), index("login_failures_at_idx").on(table.at)],
);

/**
 * Per-account back-off, one row per lower-cased address (known or not): the next attempt
 * is allowed from `next_attempt_at`, which each evaluated attempt pushes out exponentially
 * with the failures in a row; a right password deletes the row.
 */
export const loginThrottles = pgTable(
  "login_throttles",
  {
    account: text("account").primaryKey(),
    failures: integer("failures").notNull(),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull(),
  },
  (table) => [index("login_throttles_next_attempt_idx").on(table.nextAttemptAt)],
);

export type ApiKey = typeof apiKeys.$inferSelect;
