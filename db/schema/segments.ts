import { sql } from "drizzle-orm";
import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { departments } from "./accounts";

/**
 * Saved segments (分群): a named rule over a department's contacts (lib/audiences/segments/rule.ts),
 * evaluated whenever it is counted and when a task targeting it is materialised. The rule is kept as
 * the JSON the caller sent, validated again every time it is read.
 */
export const segments = pgTable(
  "segments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    departmentId: uuid("department_id")
      .notNull()
      .references(() => departments.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    rule: jsonb("rule").$type<unknown>().notNull(),
    createdBy: text("created_by").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("segments_department_name_unique").on(table.departmentId, sql`lower(${table.name})`),
    index("segments_department_idx").on(table.departmentId, table.createdAt),
  ],
);

export type Segment = typeof segments.$inferSelect;
