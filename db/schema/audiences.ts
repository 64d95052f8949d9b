import { sql } from "drizzle-orm";
import { bigint, index, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { departments } from "./accounts";
import { contacts } from "./pools";

/** A department's tag vocabulary (标签): names are unique within a department, whatever their case. */
export const tags = pgTable(
  "tags",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    departmentId: uuid("department_id")
      .notNull()
      .references(() => departments.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex("tags_department_name_unique").on(table.departmentId, sql`lower(${table.name})`)],
);

/**
 * Which contact carries which tag. Foreign keys on both sides (unlike pool_members): a tag or a
 * contact deleted, or a contact erased, takes its rows with it, and tagging is not on the path
 * of a plain import.
 */
export const contactTags = pgTable(
  "contact_tags",
  {
    tagId: uuid("tag_id")
      .notNull()
      .references(() => tags.id, { onDelete: "cascade" }),
    contactId: bigint("contact_id", { mode: "number" })
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    addedAt: timestamp("added_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.tagId, table.contactId] }), index("contact_tags_contact_idx").on(table.contactId)],
);

export type Tag = typeof tags.$inferSelect;
