import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { departments } from "./accounts";
import { bytea } from "./gateway";
import { pools } from "./pools";
import { senders } from "./senders";
import { tasks } from "./tasks";

/** A field a hosted sign-up form asks for besides the address: a contact attribute, with the label shown. */
export type SignupFormField = { attribute: string; label: string; required: boolean };

/**
 * A pool's hosted sign-up form (lib/forms): the public page `/f/<id>` and the HTML snippet that
 * posts to it. Always double opt-in; the look is a few settings, not the department's CSS.
 */
export const signupForms = pgTable(
  "signup_forms",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    departmentId: uuid("department_id")
      .notNull()
      .references(() => departments.id, { onDelete: "cascade" }),
    poolId: uuid("pool_id")
      .notNull()
      .references(() => pools.id, { onDelete: "cascade" }),
    enabled: boolean("enabled").notNull().default(true),
    title: text("title").notNull().default(""),
    intro: text("intro").notNull().default(""),
    askName: boolean("ask_name").notNull().default(true),
    fields: jsonb("fields").$type<SignupFormField[]>().notNull().default([]),
    /** Shown beside the box a person ticks; empty: no box. */
    consentText: text("consent_text").notNull().default(""),
    /** An https URL, or empty. */
    logoUrl: text("logo_url").notNull().default(""),
    /** `#rrggbb`. */
    colour: text("colour").notNull().default("#2563eb"),
    /** The page's language when the visitor's browser names neither: "zh" or "en". */
    language: text("language", { enum: ["zh", "en"] }).notNull().default("zh"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex("signup_forms_pool_unique").on(table.poolId), index("signup_forms_department_idx").on(table.departmentId)],
);

/** Who may post to a group address without a moderator: its active members, its moderators only, or anyone (every post held). */
export const GROUP_POSTING = ["members", "moderators", "anyone"] as const;
export type GroupPosting = (typeof GROUP_POSTING)[number];
/** What happens to a post from someone not allowed: held for a moderator, or refused at the entrance. */
export const GROUP_STRANGERS = ["hold", "refuse"] as const;
export type GroupStrangers = (typeof GROUP_STRANGERS)[number];
export const GROUP_REPLY_TO = ["group", "poster"] as const;
export type GroupReplyTo = (typeof GROUP_REPLY_TO)[number];

/**
 * A pool's group address (lib/groups): mail to it through the SMTP entrance from an allowed poster
 * is sent on to every active member but the poster, through the engine (a task of kind `group`).
 * The address is on one of the department's sender domains, with a sender row of its own.
 */
export const groups = pgTable(
  "groups",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    departmentId: uuid("department_id")
      .notNull()
      .references(() => departments.id, { onDelete: "cascade" }),
    poolId: uuid("pool_id")
      .notNull()
      .references(() => pools.id, { onDelete: "cascade" }),
    /** Lower case. */
    address: text("address").notNull(),
    name: text("name").notNull().default(""),
    senderId: uuid("sender_id")
      .notNull()
      .references(() => senders.id, { onDelete: "restrict" }),
    posting: text("posting", { enum: GROUP_POSTING }).notNull().default("members"),
    strangers: text("strangers", { enum: GROUP_STRANGERS }).notNull().default("hold"),
    replyTo: text("reply_to", { enum: GROUP_REPLY_TO }).notNull().default("group"),
    /** Lower-case addresses. */
    moderators: jsonb("moderators").$type<string[]>().notNull().default([]),
    /** Senders a moderator chose to "always allow": their posts go through without a hold. */
    allowedPosters: jsonb("allowed_posters").$type<string[]>().notNull().default([]),
    enabled: boolean("enabled").notNull().default(true),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("groups_address_unique").on(table.address),
    uniqueIndex("groups_pool_unique").on(table.poolId),
    index("groups_department_idx").on(table.departmentId),
  ],
);

export const GROUP_POST_STATUSES = ["held", "rejected", "sent"] as const;
export type GroupPostStatus = (typeof GROUP_POST_STATUSES)[number];

/**
 * Every post a group accepted (held, rejected by a moderator, or sent on), as received: the archive.
 * `threadId` is the first post of its conversation (In-Reply-To / References), its own id for a first post.
 */
export const groupPosts = pgTable(
  "group_posts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    groupId: uuid("group_id")
      .notNull()
      .references(() => groups.id, { onDelete: "cascade" }),
    departmentId: uuid("department_id").notNull(),
    threadId: uuid("thread_id").notNull(),
    /** The post's own Message-ID, without angle brackets. */
    messageId: text("message_id").notNull(),
    inReplyTo: text("in_reply_to"),
    subject: text("subject").notNull().default(""),
    fromAddress: text("from_address").notNull(),
    fromName: text("from_name").notNull().default(""),
    /** The text of the post (its text part, or its HTML as text), for reading and searching. */
    bodyText: text("body_text").notNull().default(""),
    /** The poster's domain publishes DMARC p=quarantine or p=reject: the copies are From the group ("Name via Group"), not from the poster. */
    fromRewritten: boolean("from_rewritten").notNull().default(false),
    attachments: jsonb("attachments").$type<{ fileName: string; contentType: string; size: number }[]>().notNull().default([]),
    raw: bytea("raw").notNull(),
    size: integer("size").notNull(),
    status: text("status", { enum: GROUP_POST_STATUSES }).notNull(),
    /** Why it is held, or the moderator's reason for rejecting it. */
    reason: text("reason").notNull().default(""),
    /** The task that sent it to the members, once sent. */
    taskId: uuid("task_id").references(() => tasks.id, { onDelete: "set null" }),
    clientIp: text("client_ip").notNull().default(""),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    decidedBy: text("decided_by"),
  },
  (table) => [
    uniqueIndex("group_posts_message_unique").on(table.groupId, table.messageId),
    index("group_posts_group_idx").on(table.groupId, table.receivedAt),
    index("group_posts_thread_idx").on(table.threadId, table.receivedAt),
    uniqueIndex("group_posts_task_unique").on(table.taskId),
    index("group_posts_search_trgm").using("gin", sql`(lower(${table.subject} || ' ' || ${table.bodyText})) gin_trgm_ops`),
  ],
);

export type Group = typeof groups.$inferSelect;
export type GroupPost = typeof groupPosts.$inferSelect;
export type SignupForm = typeof signupForms.$inferSelect;
