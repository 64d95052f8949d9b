import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { departments } from "./accounts";

/** What a task or template sends over: e-mail or a messaging channel (tied by type to lib/channels' Channel in lib/sending/channel.ts). */
export const TASK_CHANNELS = ["email", "sms", "whatsapp", "wecom"] as const;
export type TaskChannel = (typeof TASK_CHANNELS)[number];

/**
 * A WhatsApp template version's approved Meta template: its name and language code as Meta
 * approved them, and for each positional variable {{1}}, {{2}} … the Liquid expression over the
 * contact that fills it (lib/templates/whatsapp.ts checks them).
 */
export type WhatsAppTemplateFields = { name: string; language: string; variables: string[] };

export type LintIssue = { code: string; message: string; part: "subject" | "html" | "text"; line?: number; column?: number };
export type LintReport = { errors: LintIssue[]; warnings: LintIssue[] };

/** Mail templates (邮件模板): the current version number points into template_versions. */
export const templates = pgTable(
  "templates",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    departmentId: uuid("department_id")
      .notNull()
      .references(() => departments.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** What the template is for (lib/channels/types.ts): an SMS template's body is its versions' `text`, subject and HTML empty. */
    channel: text("channel", { enum: TASK_CHANNELS }).notNull().default("email"),
    currentVersion: integer("current_version").notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex("templates_department_name_unique").on(table.departmentId, sql`lower(${table.name})`)],
);

/** Every saved version is kept; a task freezes the version it sends. */
export const templateVersions = pgTable(
  "template_versions",
  {
    templateId: uuid("template_id")
      .notNull()
      .references(() => templates.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    subject: text("subject").notNull(),
    html: text("html").notNull(),
    /** Null when the plain text is generated from the HTML. */
    text: text("text"),
    attachmentIds: jsonb("attachment_ids").$type<string[]>().notNull().default([]),
    /** A WhatsApp template's approved Meta template; null for other channels and for free text only (sent only inside the 24-hour window). */
    whatsapp: jsonb("whatsapp").$type<WhatsAppTemplateFields>(),
    lint: jsonb("lint").$type<LintReport>().notNull(),
    usable: boolean("usable").notNull(),
    createdBy: text("created_by").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.templateId, table.version] })],
);

/** Attachment files live under FANOUT_DATA_DIR/attachments/<id>; rows describe them. */
export const attachments = pgTable(
  "attachments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    departmentId: uuid("department_id")
      .notNull()
      .references(() => departments.id, { onDelete: "cascade" }),
    fileName: text("file_name").notNull(),
    contentType: text("content_type").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
    sha256: text("sha256").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index("attachments_department_idx").on(table.departmentId)],
);

export type Template = typeof templates.$inferSelect;
export type TemplateVersion = typeof templateVersions.$inferSelect;
export type Attachment = typeof attachments.$inferSelect;
