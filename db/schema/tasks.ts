import { sql } from "drizzle-orm";
import { bigint, boolean, check, date, index, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid, type AnyPgColumn } from "drizzle-orm/pg-core";
import { departments } from "./accounts";
import { senders } from "./senders";
import { TASK_CHANNELS, templates } from "./templates";

export const AB_PHASES = ["testing", "waiting", "rest"] as const;
export type AbPhase = (typeof AB_PHASES)[number];
export const AB_METRICS = ["opens", "clicks"] as const;
export type AbMetric = (typeof AB_METRICS)[number];
/** What one variant changes; an absent or null field is the task's own (its frozen version, its subject, its display name). */
export type AbVariant = { subject?: string | null; fromName?: string | null; templateVersion?: number | null };
/** An A/B test on a task (lib/campaigns/ab-test.ts): 2–4 variants, A first. */
export type AbTestConfig = { variants: AbVariant[]; sharePercent: number; metric: AbMetric; waitHours: number; winnerBy: "rule" | "hand" };
/** One variant's figures when the winner was chosen: recipients sent, and of them people who opened and who clicked. */
export type AbTally = { sent: number; opened: number; clicked: number };
/**
 * How the winner was chosen: the rule's verdict over the metric (lib/campaigns/ab-winner.ts), and
 * the variant sent to the rest (the rule's, or one chosen by hand: `chosenBy` names who).
 */
export type AbDecisionRecord = {
  tallies: AbTally[];
  rule: { winner: number; clear: boolean; reason: "significant" | "noClearWinner" | "tooFewSent"; leader: number; rates: number[]; comparisons: { against: number; z: number; p: number }[]; threshold: number };
  chosen: number;
  chosenBy: "rule" | { label: string };
  at: string;
};

export const TASK_STATUSES = ["scheduled", "sending", "paused", "completed", "cancelled", "failed"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** A delivery is final once it is sent, delivered, failed, suppressed or cancelled. */
export const DELIVERY_STATUSES = ["queued", "sending", "sent", "delivered", "failed", "suppressed", "cancelled"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * How a task came to be: made in the console or the API (a template and pools), one message a
 * group-send client submitted through the SMTP entrance, or one message a business system sent
 * through POST /api/v1/messages (its content and recipients' data in `messages`; sent in the
 * engine's priority lane).
 */
export const TASK_KINDS = ["campaign", "smtp", "message", "group"] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export const BOUNCE_CATEGORIES = ["user_unknown", "mailbox_full", "rejected", "other"] as const;
export type BounceCategory = (typeof BOUNCE_CATEGORIES)[number];

export const GUARD_RULES = ["hardBounces", "unknownUsers", "complaints"] as const;
export type GuardRule = (typeof GUARD_RULES)[number];
/** A guard pause: which rule, over which scope (the task, or its sender domain over 24 hours), the rate and the threshold in percent. */
export type GuardPause = { rule: GuardRule; scope: "task" | "domain"; domain?: string; rate: number; threshold: number; answers: number; at: string };

/** Send tasks (群发任务): a template version, its recipients, a sender and a time. */
export const tasks = pgTable(
  "tasks",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    departmentId: uuid("department_id")
      .notNull()
      .references(() => departments.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    kind: text("kind", { enum: TASK_KINDS }).notNull().default("campaign"),
    /** What the task sends over (lib/channels/types.ts): e-mail, or a messaging channel such as SMS. */
    channel: text("channel", { enum: TASK_CHANNELS }).notNull().default("email"),
    /** The SMTP account that submitted an `smtp` task (its message is in smtp_submissions); null for campaigns. */
    smtpAccountId: uuid("smtp_account_id"),
    /** Null for an `smtp` task, whose message is what the client submitted. */
    templateId: uuid("template_id").references(() => templates.id, { onDelete: "restrict" }),
    /** The version frozen when the task was created (or last edited while scheduled); 0 for an `smtp` task. */
    templateVersion: integer("template_version").notNull(),
    /** Null: every active contact of the department. */
    poolIds: jsonb("pool_ids").$type<string[] | null>(),
    /** Saved segments the task also sends to (lib/audiences/segments), unioned with the pools; [] for none. */
    segmentIds: jsonb("segment_ids").$type<string[]>().notNull().default([]),
    /** What each segment counted when materialisation began (segment id → contacts), shown on the task page; null until then. */
    segmentCounts: jsonb("segment_counts").$type<Record<string, number> | null>(),
    /**
     * A follow-up ("resend to non-openers", lib/sending/follow-up.ts): it also sends to those this task
     * sent to who have not opened it, evaluated when the follow-up starts. Null for any other task, and
     * once the original is deleted (its deliveries with it: the follow-up then reaches nobody).
     */
    followUpOf: uuid("follow_up_of").references((): AnyPgColumn => tasks.id, { onDelete: "set null" }),
    /** The subject sent instead of the template version's (a follow-up's new subject, Liquid like it); null: the version's. */
    subject: text("subject"),
    /**
     * An A/B test (lib/campaigns/ab-test.ts): the variants, the test share, the metric, the wait and
     * who picks the winner; null for a task without one. Fixed once the task starts.
     */
    abTest: jsonb("ab_test").$type<AbTestConfig | null>(),
    /** Where the test is: "testing" (the share is being sent), "waiting" (for the wait or a hand), "rest" (the winner goes to the rest); null without a test. */
    abPhase: text("ab_phase", { enum: AB_PHASES }),
    /** When the test share's last message was answered: the wait runs from here. */
    abTestSentAt: timestamp("ab_test_sent_at", { withTimezone: true }),
    /** When the rule decides (abTestSentAt plus the wait). */
    abDecideAt: timestamp("ab_decide_at", { withTimezone: true }),
    /** The decision: each variant's figures, the rule's verdict and reason, the variant sent to the rest and who chose it. */
    abDecision: jsonb("ab_decision").$type<AbDecisionRecord | null>(),
    /**
     * Send-time optimisation (lib/sending/send-time.ts): deliver within 24 hours of the start, each
     * recipient at their best hour of day, planned when materialised.
     */
    sendTimeOptimized: boolean("send_time_optimized").notNull().default(false),
    /**
     * Replies (lib/feedback/replies.ts): each message's Reply-To is its own `reply+<token>@…` address, so a reply
     * that comes back through the SMTP entrance is recorded on its delivery (a `replied` event, or
     * `auto_reply`) and, when `replyForwardTo` is set, forwarded to that mailbox.
     */
    replyTracking: boolean("reply_tracking").notNull().default(false),
    replyForwardTo: text("reply_forward_to"),
    /** The mail sender; null for a task on another channel (an SMS task has no From), never for e-mail (tasks_email_sender_check). */
    senderId: uuid("sender_id").references(() => senders.id, { onDelete: "restrict" }),
    fromName: text("from_name").notNull().default(""),
    /** At most this many recipients; null: all of them. */
    recipientLimit: integer("recipient_limit"),
    tracking: boolean("tracking").notNull().default(true),
    status: text("status", { enum: TASK_STATUSES }).notNull(),
    scheduledAt: timestamp("scheduled_at", { withTimezone: true }).notNull(),
    /** Quota this task holds and has not yet used or given back. */
    reserved: integer("reserved").notNull().default(0),
    /** Materialisation walks contacts in id order; null once every recipient has a delivery row. */
    materializeCursor: bigint("materialize_cursor", { mode: "number" }).default(0),
    total: integer("total").notNull().default(0),
    queued: integer("queued").notNull().default(0),
    sent: integer("sent").notNull().default(0),
    delivered: integer("delivered").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    suppressed: integer("suppressed").notNull().default(0),
    cancelled: integer("cancelled").notNull().default(0),
    opened: integer("opened").notNull().default(0),
    clicked: integer("clicked").notNull().default(0),
    unsubscribed: integer("unsubscribed").notNull().default(0),
    /** Bounces that came back after the message was accepted (counted in both `sent` and `failed`). */
    bounced: integer("bounced").notNull().default(0),
    complained: integer("complained").notNull().default(0),
    /** Deliveries with a person's reply (replyTracking), and those whose only answer was an automatic one: each delivery counted once. */
    replied: integer("replied").notNull().default(0),
    autoReplied: integer("auto_replied").notNull().default(0),
    /**
     * The reputation guard's counts (lib/guard), moved with the answers they count: answers from
     * receiving servers (sent, or refused for good), permanent (5xx) refusals and hard bounces,
     * and of those the unknown users.
     */
    guardAnswers: integer("guard_answers").notNull().default(0),
    guardHardBounces: integer("guard_hard_bounces").notNull().default(0),
    guardUnknownUsers: integer("guard_unknown_users").notNull().default(0),
    /** Why the guard paused the task (null: it did not); kept after a resume, for the record. */
    guardPause: jsonb("guard_pause").$type<GuardPause | null>(),
    /** Someone resumed it with "ignore the guard for this task": the guard leaves it alone. */
    guardOverride: boolean("guard_override").notNull().default(false),
    /** Why the task failed, or what it left out (e.g. recipients beyond the quota). */
    note: text("note").notNull().default(""),
    createdBy: text("created_by").notNull().default(""),
    /** The IP the task was created from; reports group sends by it. */
    clientIp: text("client_ip").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (table) => [
    index("tasks_department_created_idx").on(table.departmentId, table.createdAt),
    index("tasks_due_idx").on(table.scheduledAt).where(sql`${table.status} = 'scheduled'`),
    index("tasks_active_idx").on(table.status).where(sql`${table.status} = 'sending'`),
    index("tasks_ab_waiting_idx").on(table.abPhase).where(sql`${table.abPhase} = 'waiting'`),
    index("tasks_follow_up_of_idx").on(table.followUpOf).where(sql`${table.followUpOf} is not null`),
    check("tasks_email_sender_check", sql`${table.channel} <> 'email' or ${table.senderId} is not null`),
  ],
);

/**
 * The ledger: one row per recipient of a task, written before anything is sent. A batch is
 * claimed (queued → sending with a lease), sent, and recorded (sent / failed / queued again
 * for a retry) with the task's counters in one transaction.
 */
export const deliveries = pgTable(
  "deliveries",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    taskId: uuid("task_id")
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
    departmentId: uuid("department_id").notNull(),
    contactId: bigint("contact_id", { mode: "number" }),
    /** The contact's address; for a delivery on another channel too, so (task_id, email) still means one per contact. */
    email: text("email").notNull(),
    /** Where a non-mail delivery goes: the E.164 number of an SMS; null for e-mail. */
    address: text("address"),
    /** The A/B variant (0 = A) this recipient was sent; null for a task without a test. */
    variant: smallint("variant"),
    /** SMS parts the rendered text costs, charged to quota instead of 1; null for e-mail. */
    segments: integer("segments"),
    status: text("status", { enum: DELIVERY_STATUSES }).notNull(),
    /** Recipients are grouped into batches when materialised; a claim takes (part of) one batch. */
    batchNo: integer("batch_no").notNull().default(0),
    /** Transport answers received (a crash before the answer does not count, so a re-send reuses the idempotency key). */
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    leaseUntil: timestamp("lease_until", { withTimezone: true }),
    /** Set by each claim; a result is recorded only by the claim that still holds the row. */
    claimToken: text("claim_token"),
    category: text("category", { enum: BOUNCE_CATEGORIES }),
    code: integer("code"),
    enhancedStatus: text("enhanced_status"),
    error: text("error"),
    providerId: text("provider_id"),
    messageId: text("message_id"),
    sentAt: timestamp("sent_at", { withTimezone: true }),
    /** Feedback after the send (lib/feedback): confirmed delivery, a bounce that came back, a complaint, an unsubscribe. */
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
    bouncedAt: timestamp("bounced_at", { withTimezone: true }),
    complainedAt: timestamp("complained_at", { withTimezone: true }),
    unsubscribedAt: timestamp("unsubscribed_at", { withTimezone: true }),
    /** Opens and clicks by people; likely machine ones (prefetchers, link scanners) are counted apart and left out of the rates. */
    openCount: integer("open_count").notNull().default(0),
    firstOpenAt: timestamp("first_open_at", { withTimezone: true }),
    machineOpenCount: integer("machine_open_count").notNull().default(0),
    clickCount: integer("click_count").notNull().default(0),
    firstClickAt: timestamp("first_click_at", { withTimezone: true }),
    machineClickCount: integer("machine_click_count").notNull().default(0),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("deliveries_task_email_unique").on(table.taskId, table.email),
    // The delivery log (数据投递日志): newest first within a department, by address, by provider message.
    index("deliveries_department_id_idx").on(table.departmentId, table.id),
    // Its date searches: newest answered first within a department. Partial, so only the answer
    // that sets sent_at writes it (not materialising or claiming a delivery).
    index("deliveries_department_sent_idx").on(table.departmentId, table.sentAt, table.id).where(sql`${table.sentAt} is not null`),
    // A task's deliveries answered within a date range, newest first (the log's dates beside a task).
    index("deliveries_task_sent_idx").on(table.taskId, table.sentAt, table.id).where(sql`${table.sentAt} is not null`),
    index("deliveries_email_idx").on(table.email, table.id),
    index("deliveries_provider_idx").on(table.providerId).where(sql`${table.providerId} is not null`),
    index("deliveries_claim_idx").on(table.taskId, table.batchNo, table.id).where(sql`${table.status} = 'queued'`),
    index("deliveries_lease_idx").on(table.leaseUntil).where(sql`${table.status} = 'sending'`),
    index("deliveries_task_status_idx").on(table.taskId, table.status, table.id),
    // Segments' engagement conditions (opened / clicked / was sent / bounced) look a contact's deliveries up.
    // Partial: deliveries of the API's messages and the SMTP entrance carry no contact and are left out.
    index("deliveries_contact_idx").on(table.contactId, table.taskId).where(sql`${table.contactId} is not null`),
  ],
);

/** The counts of a rollup row; each is moved in the same transaction as what it counts. */
function rollupCounts() {
  return {
    sent: integer("sent").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    userUnknown: integer("user_unknown").notNull().default(0),
    mailboxFull: integer("mailbox_full").notNull().default(0),
    rejected: integer("rejected").notNull().default(0),
    other: integer("other").notNull().default(0),
    /** Feedback counted on the day it arrived: `bounced` ⊆ `failed` (came back after acceptance); opens and clicks are first ones by people per delivery. */
    delivered: integer("delivered").notNull().default(0),
    bounced: integer("bounced").notNull().default(0),
    complained: integer("complained").notNull().default(0),
    unsubscribed: integer("unsubscribed").notNull().default(0),
    opened: integer("opened").notNull().default(0),
    clicked: integer("clicked").notNull().default(0),
    machineOpened: integer("machine_opened").notNull().default(0),
    machineClicked: integer("machine_clicked").notNull().default(0),
  };
}

/**
 * Daily counts the reports read (invariant 7), moved in the same transaction as the deliveries
 * they count. The day is the calendar day in FANOUT_TIMEZONE. Two grains: with the recipient's
 * domain (failures by recipient domain; as many rows as domains mailed), and without it (every
 * other report; a handful of rows per department and day).
 */
export const deliveryDaily = pgTable(
  "delivery_daily",
  {
    day: date("day").notNull(),
    departmentId: uuid("department_id").notNull(),
    clientIp: text("client_ip").notNull(),
    senderDomain: text("sender_domain").notNull(),
    recipientDomain: text("recipient_domain").notNull(),
    ...rollupCounts(),
  },
  (table) => [
    primaryKey({ columns: [table.day, table.departmentId, table.clientIp, table.senderDomain, table.recipientDomain] }),
    index("delivery_daily_department_day_idx").on(table.departmentId, table.day),
  ],
);

export const deliveryDailySender = pgTable(
  "delivery_daily_sender",
  {
    day: date("day").notNull(),
    departmentId: uuid("department_id").notNull(),
    clientIp: text("client_ip").notNull(),
    senderDomain: text("sender_domain").notNull(),
    ...rollupCounts(),
  },
  (table) => [primaryKey({ columns: [table.day, table.departmentId, table.clientIp, table.senderDomain] }), index("delivery_daily_sender_department_day_idx").on(table.departmentId, table.day)],
);

/**
 * Failures by recipient domain, the one report that needs the recipient's domain: a row per day,
 * department and recipient domain that had a failure (no client IP or sender domain, no row for
 * a domain that only received), moved with the other two grains. Read newest day first per
 * department, most failures first, so a report takes the top domains of each day from the index.
 */
export const deliveryDailyFailures = pgTable(
  "delivery_daily_failures",
  {
    day: date("day").notNull(),
    departmentId: uuid("department_id").notNull(),
    recipientDomain: text("recipient_domain").notNull(),
    failed: integer("failed").notNull().default(0),
    userUnknown: integer("user_unknown").notNull().default(0),
    mailboxFull: integer("mailbox_full").notNull().default(0),
    rejected: integer("rejected").notNull().default(0),
    other: integer("other").notNull().default(0),
  },
  (table) => [
    primaryKey({ columns: [table.day, table.departmentId, table.recipientDomain] }),
    // DESC is NULLS FIRST in Postgres; an index in any other order would not serve `order by failed desc`.
    // The counts follow in the key (drizzle has no INCLUDE) so the top domains are read from the index alone.
    index("delivery_daily_failures_top_idx").on(
      table.day,
      table.departmentId,
      table.failed.desc().nullsFirst(),
      table.recipientDomain,
      table.userUnknown,
      table.mailboxFull,
      table.rejected,
      table.other,
    ),
  ],
);

export type Task = typeof tasks.$inferSelect;
export type Delivery = typeof deliveries.$inferSelect;
