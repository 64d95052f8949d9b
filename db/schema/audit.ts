import { bigserial, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { departments } from "./accounts";

/** The operation log (操作日志): one row per mutation, written in the mutation's transaction. */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    /** user:<id>, apikey:<id>, cli or system. */
    operatorId: text("operator_id").notNull(),
    operatorLabel: text("operator_label").notNull(),
    operatorRole: text("operator_role").notNull(),
    ip: text("ip").notNull().default(""),
    action: text("action").notNull(),
    objectType: text("object_type").notNull(),
    objectId: text("object_id").notNull().default(""),
    /** The department the object belongs to; null for company-wide objects. */
    departmentId: uuid("department_id").references(() => departments.id, { onDelete: "set null" }),
    /** The summary in English, for readers without a catalogue (exports, older rows). */
    summary: text("summary").notNull().default(""),
    /** What the console words in the reader's language: a key of t.auditSummaries and its values. */
    summaryKey: text("summary_key"),
    summaryParams: jsonb("summary_params").$type<Record<string, unknown>>(),
    details: jsonb("details").$type<Record<string, unknown>>(),
  },
  (table) => [
    index("audit_log_at_idx").on(table.at),
    index("audit_log_department_at_idx").on(table.departmentId, table.at),
    index("audit_log_action_idx").on(table.action, table.at),
    index("audit_log_operator_idx").on(table.operatorId, table.at),
  ],
);

export type AuditEntry = typeof auditLog.$inferSelect;
export type NewAuditEntry = typeof auditLog.$inferInsert;
