import { relations, sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

export const ROLES = ["admin", "department", "manager"] as const;
export type Role = (typeof ROLES)[number];

/** The one company account (帐户信息). Quota counters are stored so tasks can reserve them atomically. */
export const companies = pgTable(
  "companies",
  {
    id: integer("id").primaryKey().default(1),
    name: text("name").notNull().default("My company"),
    /** Purchased sending total; null means no company-wide limit. */
    quotaTotal: bigint("quota_total", { mode: "number" }),
    quotaUsed: bigint("quota_used", { mode: "number" }).notNull().default(0),
    quotaReserved: bigint("quota_reserved", { mode: "number" }).notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check("companies_single_row", sql`${table.id} = 1`),
    check("companies_quota_nonnegative", sql`${table.quotaUsed} >= 0 and ${table.quotaReserved} >= 0`),
  ],
);

export const departments = pgTable(
  "departments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    /** Allocated sending quota; null means limited only by the company total. */
    quotaAllocated: bigint("quota_allocated", { mode: "number" }),
    quotaUsed: bigint("quota_used", { mode: "number" }).notNull().default(0),
    quotaReserved: bigint("quota_reserved", { mode: "number" }).notNull().default(0),
    disabled: boolean("disabled").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("departments_name_unique").on(sql`lower(${table.name})`),
    check("departments_quota_nonnegative", sql`${table.quotaUsed} >= 0 and ${table.quotaReserved} >= 0`),
  ],
);

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    email: text("email").notNull(),
    name: text("name").notNull().default(""),
    passwordHash: text("password_hash").notNull(),
    role: text("role", { enum: ROLES }).notNull(),
    departmentId: uuid("department_id").references(() => departments.id, { onDelete: "restrict" }),
    /** Managers only: reads every department's reports instead of the granted ones. */
    readsAllDepartments: boolean("reads_all_departments").notNull().default(false),
    disabled: boolean("disabled").notNull().default(false),
    /** Bumped on password reset, disable and role change so existing sessions end. */
    sessionVersion: integer("session_version").notNull().default(1),
    lastLoginAt: timestamp("last_login_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("users_email_unique").on(sql`lower(${table.email})`),
    index("users_department_idx").on(table.departmentId),
    check(
      "users_department_role",
      sql`(${table.role} = 'department') = (${table.departmentId} is not null)`,
    ),
  ],
);

/** Departments whose reports a manager may read. */
export const managerDepartments = pgTable(
  "manager_departments",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    departmentId: uuid("department_id")
      .notNull()
      .references(() => departments.id, { onDelete: "cascade" }),
  },
  (table) => [primaryKey({ columns: [table.userId, table.departmentId] })],
);

export const AUXILIARY_MAIL_KINDS = ["test_send", "subscribe_confirmation"] as const;
export type AuxiliaryMailKind = (typeof AUXILIARY_MAIL_KINDS)[number];

/**
 * Mail outside send tasks (test sends, double opt-in confirmations), one row per message, so
 * their hourly limits hold across instances. Rows older than a day are pruned as new ones come.
 */
export const auxiliaryMail = pgTable(
  "auxiliary_mail",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    kind: text("kind", { enum: AUXILIARY_MAIL_KINDS }).notNull(),
    departmentId: uuid("department_id")
      .notNull()
      .references(() => departments.id, { onDelete: "cascade" }),
    /** The user who asked (test sends); empty for confirmations. */
    operatorId: text("operator_id").notNull().default(""),
    email: text("email").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index("auxiliary_mail_department_idx").on(table.departmentId, table.kind, table.createdAt),
    index("auxiliary_mail_operator_idx").on(table.operatorId, table.kind, table.createdAt),
    index("auxiliary_mail_email_idx").on(table.departmentId, table.email, table.createdAt),
  ],
);

export const departmentsRelations = relations(departments, ({ many }) => ({
  users: many(users),
}));

export const usersRelations = relations(users, ({ one, many }) => ({
  department: one(departments, { fields: [users.departmentId], references: [departments.id] }),
  managedDepartments: many(managerDepartments),
}));

export type Company = typeof companies.$inferSelect;
export type Department = typeof departments.$inferSelect;
export type NewDepartment = typeof departments.$inferInsert;
export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
