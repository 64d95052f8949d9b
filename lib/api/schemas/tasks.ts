import "server-only";
import { z } from "zod";
import { AB_METRICS, AB_PHASES, BOUNCE_CATEGORIES, DELIVERY_STATUSES, GUARD_RULES, TASK_CHANNELS, TASK_KINDS, TASK_STATUSES } from "@/db/schema";
import { AB_LIMITS, FOLLOW_UP_MAX_DAYS } from "@/lib/campaigns/limits";
import { departmentIdField, isoDateTime, nextCursor } from "./common";

const VARIANT_LETTERS = ["A", "B", "C", "D"] as const;

const abVariant = z
  .object({
    subject: z.string().max(500).nullable().optional().meta({ description: "The subject this variant sends (Liquid, as a template's); absent, null or blank: the template version's" }),
    fromName: z.string().max(200).nullable().optional().meta({ description: "The sender's display name this variant sends; absent, null or blank: the task's" }),
    templateVersion: z.number().int().positive().nullable().optional().meta({ description: "A version of the task's template this variant sends; absent or null: the current one, which the task freezes" }),
  })
  .meta({ id: "AbVariant" });

const abTestBody = z
  .object({
    variants: z.array(abVariant).min(AB_LIMITS.minVariants).max(AB_LIMITS.maxVariants).meta({ description: "Variants A, B, … in order; each differs from the others in subject, sender name or template version" }),
    sharePercent: z.number().int().min(AB_LIMITS.minShare).max(AB_LIMITS.maxShare).meta({ description: "Percent of the audience the variants are tested on (a random sample, dealt evenly); the rest get the winner" }),
    metric: z.enum(AB_METRICS).meta({ description: "opens or clicks: unique ones by people (machine opens and scanner clicks are left out)" }),
    waitHours: z.number().int().min(1).max(AB_LIMITS.maxWaitHours).meta({ description: "Hours after the test share's last message was answered before the winner is chosen" }),
    winnerBy: z
      .enum(["rule", "hand"])
      .optional()
      .meta({ description: "rule (default): after the wait, the rule chooses (the leader must beat every other variant by a two-sided two-proportion z-test at 5%, Bonferroni-corrected; no clear winner: A) and the rest are sent at once; hand: a person chooses (POST /tasks/{id}/ab-winner)" }),
  })
  .meta({ id: "AbTestInput" });

export const createTaskBody = z.object({
  name: z.string().max(200),
  templateId: z.string().max(100),
  poolIds: z.union([z.literal("all"), z.array(z.string().max(100)).max(100)]).meta({ description: 'Pool ids, or "all" for every pool of the department; [] when segmentIds name the audience' }),
  segmentIds: z
    .array(z.string().max(100))
    .max(100)
    .optional()
    .meta({ description: "Saved segments sent to beside the pools, evaluated when the task starts; a contact in several pools or segments receives one copy" }),
  channel: z
    .enum(["email", "sms", "whatsapp"])
    .optional()
    .meta({ description: "What the task sends over; absent: email. An sms or whatsapp task names a template of its channel (a whatsapp one with its approved template) and no sender, and needs the channel configured on the server" }),
  senderId: z.string().max(100).optional().meta({ description: "The mail sender; required for email, left out for sms and whatsapp" }),
  fromName: z.string().max(200).optional(),
  limit: z.number().int().positive().nullable().optional().meta({ description: "At most this many recipients; absent: all" }),
  scheduledAt: isoDateTime.nullable().optional().meta({ description: "ISO 8601 with offset; absent: now" }),
  tracking: z.boolean().optional().meta({ description: "Open and click tracking; absent: on" }),
  departmentId: departmentIdField,
  abTest: abTestBody.nullable().optional().meta({ description: "An A/B test (e-mail tasks, no limit); absent or null: none" }),
  sendTimeOptimization: z
    .boolean()
    .optional()
    .meta({ description: "Deliver within 24 hours of the start, each recipient at the hour of day they opened and clicked most (in their timezone attribute, else the company's; else the department's best hour; else at once). E-mail only, not with an A/B test. Absent: false" }),
  replyTracking: z
    .boolean()
    .optional()
    .meta({ description: "Collect replies: each message's Reply-To is its own reply+<token>@ address, and replies that come back through the SMTP entrance (or the inbound webhook) are recorded on their delivery. E-mail only. Absent: false" }),
  replyForwardTo: z.string().max(320).nullable().optional().meta({ description: "Forward each person's reply to this mailbox (turns replyTracking on); absent or null: none" }),
});

const count = z.number().int();
const nullableTime = z.iso.datetime().nullable();

const abTally = z.object({ sent: count, opened: count.meta({ description: "People who opened (a click counts)" }), clicked: count });

const abTest = z
  .object({
    variants: z.array(abVariant),
    sharePercent: z.number().int(),
    metric: z.enum(AB_METRICS),
    waitHours: z.number().int(),
    winnerBy: z.enum(["rule", "hand"]),
    phase: z.enum(AB_PHASES).meta({ description: "testing: the share is being sent; waiting: for the wait to end (or a person); rest: the chosen variant goes to the rest" }),
    testSentAt: nullableTime.meta({ description: "When the test share's last message was answered: the wait runs from here" }),
    decideAt: nullableTime.meta({ description: "When the rule chooses (winnerBy rule)" }),
    decision: z
      .object({
        chosen: z.enum(VARIANT_LETTERS).meta({ description: "The variant sent to the rest" }),
        chosenBy: z.string().meta({ description: '"rule", or who chose by hand' }),
        at: z.iso.datetime(),
        tallies: z.array(abTally).meta({ description: "Each variant's test share figures when it was chosen" }),
        rule: z.object({
          winner: z.enum(VARIANT_LETTERS).meta({ description: "The rule's choice (A when there is no clear winner)" }),
          clear: z.boolean(),
          reason: z.enum(["significant", "noClearWinner", "tooFewSent"]),
          rates: z.array(z.number()).meta({ description: "Each variant's rate of the metric" }),
          comparisons: z.array(z.object({ against: z.enum(VARIANT_LETTERS), z: z.number(), p: z.number() })).meta({ description: "The leader against each other variant" }),
          threshold: z.number().meta({ description: "The p each comparison had to be under: 0.05 / (variants − 1)" }),
        }),
      })
      .nullable(),
  })
  .meta({ id: "AbTest" });

export const task = z
  .object({
    id: z.string(),
    name: z.string(),
    status: z.enum(TASK_STATUSES),
    kind: z.enum(TASK_KINDS).meta({ description: "campaign: a template sent to pools; smtp: one message a group-send client submitted through the SMTP entrance; message: the transactional API; group: a post to a group address sent on to its members" }),
    departmentId: z.string(),
    templateId: z.string().nullable().meta({ description: "Null for an smtp task" }),
    templateVersion: z.number().int(),
    poolIds: z.union([z.array(z.string()), z.literal("all")]),
    segmentIds: z.array(z.string()),
    segmentCounts: z.record(z.string(), count).nullable().meta({ description: "Contacts each segment held when the task started (segment id → count); null before" }),
    followUpOf: z.string().nullable().meta({ description: "A follow-up (resend to non-openers): the task whose recipients who had not opened it when this one started it sends to; null otherwise" }),
    subject: z.string().nullable().meta({ description: "The subject sent instead of the template version's (a follow-up's new subject); null: the version's" }),
    channel: z.enum(TASK_CHANNELS).meta({ description: "What the task sends over" }),
    senderId: z.string().nullable().meta({ description: "Null for an sms or whatsapp task, which has no sender" }),
    fromName: z.string(),
    limit: z.number().int().nullable(),
    scheduledAt: z.iso.datetime(),
    total: count,
    queued: count,
    sent: count,
    delivered: count,
    failed: count,
    suppressed: count,
    cancelled: count,
    opened: count,
    clicked: count,
    unsubscribed: count,
    bounced: count.meta({ description: "Came back after the transport accepted them: counted in both sent and failed" }),
    complained: count,
    reserved: count.meta({ description: "Quota the task holds for recipients not yet sent" }),
    materialized: z.boolean().meta({ description: "Every recipient has been listed" }),
    note: z.string(),
    startedAt: nullableTime,
    finishedAt: nullableTime,
    createdAt: z.iso.datetime(),
    createdBy: z.string(),
    smtpAccountId: z.string().nullable().meta({ description: "The SMTP account that submitted an smtp task; null for a campaign" }),
    guardPause: z
      .object({
        rule: z.enum(GUARD_RULES),
        scope: z.enum(["task", "domain"]),
        domain: z.string().optional(),
        rate: z.number().meta({ description: "Percent of answers" }),
        threshold: z.number().meta({ description: "Percent" }),
        answers: count,
        at: z.iso.datetime(),
      })
      .nullable()
      .meta({ description: "Why the reputation guard paused the task (it stays after a resume); null if it never did" }),
    guardOverride: z.boolean().meta({ description: "Resumed with the reputation guard ignored for this task" }),
    abTest: abTest.nullable().meta({ description: "The task's A/B test and where it is; null without one" }),
    sendTimeOptimization: z.boolean().meta({ description: "Each recipient is sent at their best hour within 24 hours of the start" }),
    replyTracking: z.boolean().meta({ description: "Replies are collected on their deliveries" }),
    replyForwardTo: z.string().nullable().meta({ description: "The mailbox replies are forwarded to; null: none" }),
    replied: count.meta({ description: "Deliveries with a reply a person wrote (each counted once)" }),
    autoReplied: count.meta({ description: "Deliveries with an automatic answer such as an out-of-office (each counted once)" }),
  })
  .meta({ id: "Task" });

export const createdTask = task;

export const followUpBody = z.object({
  name: z.string().max(200).optional().meta({ description: 'The follow-up\'s name; absent or blank: the original\'s followed by " · follow-up"' }),
  subject: z.string().max(500).nullable().optional().meta({ description: "The follow-up's subject (Liquid, as a template's); absent, null or blank: the original's" }),
  afterDays: z.number().int().min(0).max(FOLLOW_UP_MAX_DAYS).meta({ description: "Days after the original finished; 0, or a day already past: at once" }),
});

export const abWinnerBody = z.object({
  variant: z.enum(VARIANT_LETTERS).meta({ description: "The variant sent to the rest of the audience" }),
});

export const resumeTaskQuery = z.object({
  ignoreGuard: z
    .enum(["true", "false"])
    .optional()
    .meta({ description: "true: the reputation guard leaves this task alone from now on (audited as task.guard_override)" }),
});

export const deliveriesQuery = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  category: z.enum(BOUNCE_CATEGORIES).optional(),
  q: z.string().max(1000).optional().meta({ description: "Part of the address" }),
  cursor: z.string().max(200).optional().meta({ description: "nextCursor of the previous page" }),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

export const delivery = z
  .object({
    id: z.string(),
    email: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    category: z.enum(BOUNCE_CATEGORIES).optional(),
    error: z.string().optional(),
    sentAt: z.iso.datetime().optional(),
    code: z.number().int().nullable().meta({ description: "The receiving server's SMTP reply code" }),
    enhancedStatus: z.string().nullable(),
    attempts: z.number().int(),
    nextAttemptAt: z.iso.datetime().nullable().meta({ description: "When a queued delivery that failed for now is tried again" }),
    messageId: z.string().nullable(),
    taskId: z.string(),
    openedAt: z.iso.datetime().optional().meta({ description: "First open by a person" }),
    opens: z.number().int().meta({ description: "Opens by people" }),
    clickedAt: z.iso.datetime().optional().meta({ description: "First click by a person" }),
    clicks: z.number().int().meta({ description: "Clicks by people" }),
    machineOpens: z.number().int().meta({ description: "Opens by likely machines (privacy prefetch, scanners), not in `opens`" }),
    machineClicks: z.number().int().meta({ description: "Clicks by likely machines (link scanners), not in `clicks`" }),
    deliveredAt: z.iso.datetime().optional(),
    bouncedAt: z.iso.datetime().optional(),
    complainedAt: z.iso.datetime().optional(),
    unsubscribedAt: z.iso.datetime().optional(),
  })
  .meta({ id: "Delivery" });

export const deliveryPage = z.object({ deliveries: z.array(delivery), nextCursor });

export const repliesQuery = z.object({
  page: z.coerce.number().int().min(1).max(10_000).optional().meta({ description: "1 for the newest 20" }),
  automatic: z.enum(["true", "false"]).optional().meta({ description: "true: automatic answers (out of office) too" }),
});

export const replyPage = z
  .object({
    replies: z.array(
      z.object({
        deliveryId: z.number().int(),
        email: z.string().meta({ description: "The delivery's recipient" }),
        type: z.enum(["replied", "auto_reply"]).meta({ description: "replied: written by a person; auto_reply: an automatic answer" }),
        subject: z.string(),
        text: z.string().meta({ description: "The start of the reply's text (up to 2,000 characters)" }),
        at: z.iso.datetime(),
      }),
    ),
    page: z.number().int(),
    hasMore: z.boolean(),
    replied: count.meta({ description: "Deliveries with a person's reply" }),
    autoReplied: count.meta({ description: "Deliveries with an automatic answer" }),
    replyRate: z.number().nullable().meta({ description: "Percent of the messages sent that a person replied to; null before any was sent" }),
  })
  .meta({ id: "ReplyPage" });
