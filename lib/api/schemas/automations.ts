import "server-only";
import { z } from "zod";
import { AUTOMATION_STATUSES } from "@/db/schema";
import { AUTOMATION_LIMITS } from "@/lib/campaigns/limits";
import { departmentIdField } from "./common";

const id = z.string().max(100);

const trigger = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("subscribed"), poolId: id.meta({ description: "A contact who joins this pool (POST /subscribe, a confirmed double opt-in) is enrolled" }) }),
    z.object({ type: z.literal("tag_added"), tagId: id.meta({ description: "A contact this tag is put on is enrolled" }) }),
    z.object({
      type: z.literal("date_attribute"),
      attribute: z.string().max(100).meta({ description: "A contact attribute holding a date, YYYY-MM-DD (a birthday, a renewal)" }),
      yearly: z.boolean().meta({ description: "true: every year on the month and day (a birthday); false: once, on the date" }),
      daysBefore: z.number().int().min(0).max(AUTOMATION_LIMITS.maxDaysBefore).meta({ description: "Enrol this many days ahead of the date (company time zone)" }),
    }),
    z.object({ type: z.literal("clicked"), taskId: id.meta({ description: "A contact's first click (a person's) on this task's message enrols them" }) }),
  ])
  .meta({ id: "AutomationTrigger", description: "What enrols a contact; each event enrols a contact once" });

const step = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("wait"), hours: z.number().int().min(1).max(AUTOMATION_LIMITS.maxWaitHours) }),
    z.object({ type: z.literal("send"), templateId: id.meta({ description: "An e-mail template of the department; its current version is sent" }) }),
    z.object({ type: z.literal("tag"), add: z.array(z.string().max(100)).max(20), remove: z.array(z.string().max(100)).max(20) }),
    z.object({
      type: z.literal("branch"),
      on: z.enum(["opened", "clicked"]),
      sendStep: z.number().int().min(0).meta({ description: "The index of an earlier send step whose message is looked at" }),
      yes: z.number().int().min(0).nullable().meta({ description: "The later step to go on at when the person opened (clicked); null: the series ends" }),
      no: z.number().int().min(0).nullable().meta({ description: "The later step to go on at otherwise; null: the series ends" }),
    }),
  ])
  .meta({ id: "AutomationStep" });

export const createAutomationBody = z.object({
  name: z.string().max(200),
  trigger,
  steps: z.array(step).min(1).max(AUTOMATION_LIMITS.maxSteps).meta({ description: "Run in order (a branch jumps forward); every step runs once per enrolment" }),
  senderId: id.meta({ description: "The sender of the automation's messages" }),
  status: z.enum(AUTOMATION_STATUSES).optional().meta({ description: "active (default) or paused" }),
  departmentId: departmentIdField,
});

const count = z.number().int();

export const automation = z
  .object({
    id: z.string(),
    departmentId: z.string(),
    name: z.string(),
    status: z.enum(AUTOMATION_STATUSES).meta({ description: "paused: enrolments wait where they are (new ones are still recorded) until it is resumed" }),
    trigger,
    steps: z.array(step),
    senderId: z.string(),
    createdAt: z.iso.datetime(),
    createdBy: z.string(),
    enrolments: z.object({ active: count, done: count, stopped: count }).meta({ description: "Contacts going through it, through it, and stopped early (a note says why: quota, a template gone)" }),
    stepFigures: z
      .array(z.object({ at: count.meta({ description: "Active enrolments waiting at this step" }), ran: count, sent: count, opened: count, clicked: count, yes: count, no: count }))
      .meta({ description: "Per step: who is at it, how often it ran; for a send its messages' people opens and clicks; for a branch its answers" }),
  })
  .meta({ id: "Automation" });

export const automationList = z.array(automation);

export const deletedAutomation = z
  .object({ id: z.string(), name: z.string(), enrolled: z.number().int().meta({ description: "Enrolments it had, deleted with it" }) })
  .meta({ id: "DeletedAutomation" });
