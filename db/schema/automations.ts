import { sql } from "drizzle-orm";
import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { departments } from "./accounts";
import { contacts } from "./pools";
import { senders } from "./senders";
import { tasks } from "./tasks";

export const AUTOMATION_STATUSES = ["active", "paused"] as const;
export type AutomationStatus = (typeof AUTOMATION_STATUSES)[number];

/** What enrols a contact (lib/automations): once per event, whatever retries the event's source makes. */
export type AutomationTrigger =
  | { type: "subscribed"; poolId: string }
  | { type: "tag_added"; tagId: string }
  /** The day a date attribute (YYYY-MM-DD) comes round: each year (a birthday) or once (a renewal), `daysBefore` ahead. */
  | { type: "date_attribute"; attribute: string; yearly: boolean; daysBefore: number }
  | { type: "clicked"; taskId: string };
export const AUTOMATION_TRIGGER_TYPES = ["subscribed", "tag_added", "date_attribute", "clicked"] as const;

/**
 * One step of an automation. After a step the next one runs, except a branch, which goes on at
 * `yes` or `no` (a later step's index, or null: the series ends), on whether the person opened (or
 * clicked) the message of an earlier send step.
 */
export type AutomationStep =
  | { type: "wait"; hours: number }
  | { type: "send"; templateId: string }
  | { type: "tag"; add: string[]; remove: string[] }
  | { type: "branch"; on: "opened" | "clicked"; sendStep: number; yes: number | null; no: number | null };
export const AUTOMATION_STEP_TYPES = ["wait", "send", "tag", "branch"] as const;

/** Automations (自动化): a trigger and the steps each contact it enrols goes through. */
export const automations = pgTable(
  "automations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    departmentId: uuid("department_id")
      .notNull()
      .references(() => departments.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    status: text("status", { enum: AUTOMATION_STATUSES }).notNull().default("active"),
    trigger: jsonb("trigger").$type<AutomationTrigger>().notNull(),
    steps: jsonb("steps").$type<AutomationStep[]>().notNull(),
    /** The sender of its messages. */
    senderId: uuid("sender_id")
      .notNull()
      .references(() => senders.id, { onDelete: "restrict" }),
    createdBy: text("created_by").notNull().default(""),
    /** A date trigger's last day looked at (YYYY-MM-DD in the company's zone): contacts are looked at once a day. */
    datesScannedOn: text("dates_scanned_on"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index("automations_department_idx").on(table.departmentId, table.createdAt)],
);

export const ENROLMENT_STATUSES = ["active", "done", "stopped"] as const;
export type EnrolmentStatus = (typeof ENROLMENT_STATUSES)[number];

/**
 * The ledger of one contact's way through an automation for one trigger event: the step it is at
 * and when that step is due. A step's effect, its row in automation_step_runs and the move to the
 * next step are one transaction, so a crash repeats no step and loses none.
 */
export const automationEnrolments = pgTable(
  "automation_enrolments",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    automationId: uuid("automation_id")
      .notNull()
      .references(() => automations.id, { onDelete: "cascade" }),
    departmentId: uuid("department_id").notNull(),
    contactId: bigint("contact_id", { mode: "number" })
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    /** Names the trigger event (unique per automation and contact): the same event enrols once. */
    triggerKey: text("trigger_key").notNull(),
    status: text("status", { enum: ENROLMENT_STATUSES }).notNull().default("active"),
    /** The index of the next step to run. */
    step: integer("step").notNull().default(0),
    dueAt: timestamp("due_at", { withTimezone: true }).notNull().defaultNow(),
    /** Why it stopped early (quota ran out, the contact was erased …). */
    note: text("note").notNull().default(""),
    enrolledAt: timestamp("enrolled_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (table) => [
    uniqueIndex("automation_enrolments_event_unique").on(table.automationId, table.contactId, table.triggerKey),
    index("automation_enrolments_due_idx").on(table.dueAt).where(sql`${table.status} = 'active'`),
    index("automation_enrolments_automation_idx").on(table.automationId, table.status),
  ],
);

/** Each step an enrolment ran, once: its time, and a send step's message task. */
export const automationStepRuns = pgTable(
  "automation_step_runs",
  {
    enrolmentId: bigint("enrolment_id", { mode: "number" })
      .notNull()
      .references(() => automationEnrolments.id, { onDelete: "cascade" }),
    step: integer("step").notNull(),
    ranAt: timestamp("ran_at", { withTimezone: true }).notNull(),
    taskId: uuid("task_id").references(() => tasks.id, { onDelete: "set null" }),
    /** What happened: "sent", "waited", "tagged", "yes" / "no" for a branch. */
    outcome: text("outcome").notNull(),
  },
  (table) => [primaryKey({ columns: [table.enrolmentId, table.step] })],
);

export type Automation = typeof automations.$inferSelect;
