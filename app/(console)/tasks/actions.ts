"use server";

import { z } from "zod";
import { readEnv } from "@/lib/config/env";
import { checkTemplateVersion } from "@/lib/deliverability/version-check";
import { defineAction } from "@/lib/entry/action";
import { checkbox, idList, optionalText, optionalUuid, requiredText, uuid } from "@/lib/entry/form-schemas";
import { AB_METRICS } from "@/db/schema";
import { chooseAbWinner as chooseWinner } from "@/lib/sending/ab-test-actions";
import { AB_LIMITS, type AbTestInput } from "@/lib/sending/ab-test-check";
import { TASK_CHANNELS_OFFERED } from "@/lib/sending/channel";
import { createFollowUp as followUp, FOLLOW_UP_MAX_DAYS } from "@/lib/sending/follow-up";
import { reviewTask as review } from "@/lib/sending/task-pages";
import { cancelTask as cancel, createTask as create, pauseTask as pause, resumeTask as resume, updateTask as update, type TaskInput } from "@/lib/sending/tasks";
import { instantOfZonedTime } from "@/lib/time/zone";
import { AB_FIELDS } from "./ab-test-form";
import { REPLY_FIELDS } from "./reply-form";

const choice = z.string().uuid("choose one");
const blankToNull = (value: unknown) => (value === "" || value === undefined || value === null ? null : value);
/** A field repeated once per A/B variant row, in row order (a lone row posts a single value, a blank one ""). */
const perVariant = <Item extends z.ZodType>(item: Item) =>
  z.preprocess((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]), z.array(item).max(AB_LIMITS.maxVariants, `must be at most ${AB_LIMITS.maxVariants}`));

/** The task form as it is posted: radio choices decide which of the other fields count. */
const taskForm = z.object({
  departmentId: optionalUuid,
  name: requiredText(200),
  templateId: choice,
  channel: z.enum(TASK_CHANNELS_OFFERED).default("email"),
  audience: z.enum(["all", "pools"]).default("pools"),
  poolIds: idList,
  segmentIds: idList,
  /** Required for e-mail (checkChoices); an SMS task has none. */
  senderId: z.string().max(100).optional().default(""),
  fromName: optionalText(200),
  amount: z.enum(["all", "some"]).default("all"),
  limit: z.preprocess(blankToNull, z.coerce.number().int("must be a whole number").min(1, "must be at least 1").max(1_000_000_000).nullable()),
  when: z.enum(["now", "later"]).default("now"),
  /** A datetime-local value, wall-clock time in FANOUT_TIMEZONE. */
  scheduledAt: z.string().max(40).optional().default(""),
  /** The A/B test, counted only when ticked; its ranges and each variant are checked by the server (lib/sending/ab-test-check.ts), which words them best. */
  [AB_FIELDS.on]: checkbox,
  [AB_FIELDS.subject]: perVariant(z.string().trim().max(500, "must be at most 500 characters")),
  [AB_FIELDS.fromName]: perVariant(z.string().trim().max(200, "must be at most 200 characters")),
  [AB_FIELDS.templateVersion]: perVariant(z.preprocess(blankToNull, z.coerce.number().int("must be a whole number").min(1, "must be at least 1").nullable())),
  [AB_FIELDS.sharePercent]: z.coerce.number().default(0),
  [AB_FIELDS.metric]: z.enum(AB_METRICS).default("opens"),
  [AB_FIELDS.waitHours]: z.coerce.number().default(0),
  [AB_FIELDS.winnerBy]: z.enum(["rule", "hand"]).default("rule"),
  /** Each contact's best hour within a day; refused by the server beside an A/B test or off e-mail. */
  sendTimeOptimization: checkbox,
  /** Replies collected (e-mail only) and, when named, forwarded; the server checks the address and the channel (lib/sending/reply-settings.ts). */
  [REPLY_FIELDS.on]: checkbox,
  [REPLY_FIELDS.forwardTo]: optionalText(320),
});
type TaskForm = z.output<typeof taskForm>;

function checkChoices(form: TaskForm, context: z.RefinementCtx) {
  if (form.channel === "email" && !choice.safeParse(form.senderId).success) context.addIssue({ code: "custom", path: ["senderId"], message: "choose one", params: { rule: form.senderId.trim() ? "notId" : "required" } });
  if (form.amount === "some" && form.limit === null) context.addIssue({ code: "custom", path: ["limit"], message: "say how many to send", params: { rule: "sayHowMany" } });
  if (form.when !== "later") return;
  let at: Date;
  try {
    at = instantOfZonedTime(form.scheduledAt, readEnv().timeZone);
  } catch {
    context.addIssue({ code: "custom", path: ["scheduledAt"], message: "is not a date and time", params: { rule: "notDateTime" } });
    return;
  }
  if (at.getTime() < Date.now() - 60_000) context.addIssue({ code: "custom", path: ["scheduledAt"], message: "is in the past; choose a later time or send now", params: { rule: "inThePast" } });
}

/** The A/B test a form asks for; null when its box is not ticked. A blank variant field is the task's own. */
function abTestInput(form: TaskForm): AbTestInput | null {
  if (!form[AB_FIELDS.on]) return null;
  const fromNames = form[AB_FIELDS.fromName];
  const versions = form[AB_FIELDS.templateVersion];
  return {
    variants: form[AB_FIELDS.subject].map((subject, index) => ({ subject: subject || null, fromName: fromNames[index] || null, templateVersion: versions[index] ?? null })),
    sharePercent: form[AB_FIELDS.sharePercent],
    metric: form[AB_FIELDS.metric],
    waitHours: form[AB_FIELDS.waitHours],
    winnerBy: form[AB_FIELDS.winnerBy],
  };
}

function toTaskInput(form: TaskForm): TaskInput {
  return {
    name: form.name,
    templateId: form.templateId,
    poolIds: form.audience === "all" ? "all" : form.poolIds,
    segmentIds: form.audience === "all" ? [] : form.segmentIds,
    channel: form.channel,
    senderId: form.channel === "email" ? form.senderId : null,
    fromName: form.fromName,
    limit: form.amount === "some" ? form.limit : null,
    scheduledAt: form.when === "later" ? instantOfZonedTime(form.scheduledAt, readEnv().timeZone) : null,
    departmentId: form.departmentId,
    abTest: abTestInput(form),
    sendTimeOptimization: form.sendTimeOptimization,
    replyTracking: form[REPLY_FIELDS.on],
    replyForwardTo: form[REPLY_FIELDS.forwardTo] || null,
  };
}

/** The confirmation step: the form checked as creating (or, with an id, editing) would check it, and what it would send; changes nothing. */
export const reviewTask = defineAction({
  permission: "tasks.manage",
  input: taskForm.extend({ id: optionalUuid }).superRefine(checkChoices),
  run: async (ctx, { id, ...form }) => {
    const reviewed = await review(ctx, toTaskInput(form), id);
    // The spam-risk check of the very version the task will freeze and send (of mail: an SMS has none).
    const contentCheck = form.channel === "email" ? await checkTemplateVersion(ctx, reviewed.template.id, { version: reviewed.template.version, permission: "tasks.manage" }) : null;
    return { ...reviewed, contentCheck };
  },
});

export const createTask = defineAction({
  permission: "tasks.manage",
  input: taskForm.superRefine(checkChoices),
  run: (ctx, form) => create(ctx, toTaskInput(form)),
});

export const updateTask = defineAction({
  permission: "tasks.manage",
  input: taskForm.extend({ id: uuid }).superRefine(checkChoices),
  run: (ctx, { id, ...form }) => update(ctx, id, toTaskInput(form)),
});

export const pauseTask = defineAction({
  permission: "tasks.manage",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => pause(ctx, id),
});

/** With "ignore the guard for this task" ticked, the reputation guard leaves the task alone (audited as task.guard_override). */
export const resumeTask = defineAction({
  permission: "tasks.manage",
  input: z.object({ id: uuid, ignoreGuard: checkbox.optional() }),
  run: (ctx, { id, ignoreGuard }) => resume(ctx, id, { ignoreGuard: ignoreGuard === true }),
});

export const cancelTask = defineAction({
  permission: "tasks.manage",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => cancel(ctx, id),
});

/** Resend to non-openers: a follow-up of a completed task, `afterDays` after it finished, perhaps under a new subject. */
export const createFollowUp = defineAction({
  permission: "tasks.manage",
  input: z.object({
    id: uuid,
    name: requiredText(200),
    subject: optionalText(500),
    afterDays: z.coerce.number().int("must be a whole number").min(0, "must be at least 0").max(FOLLOW_UP_MAX_DAYS, `must be at most ${FOLLOW_UP_MAX_DAYS}`),
  }),
  run: (ctx, { id, name, subject, afterDays }) => followUp(ctx, id, { name, subject, afterDays }),
});

/** Ends a waiting A/B test by hand: `variant` (0 = A) goes to the rest, whatever the rule would say. */
export const chooseAbWinner = defineAction({
  permission: "tasks.manage",
  input: z.object({
    id: uuid,
    variant: z.coerce.number().int("must be a whole number").min(0, "must be at least 0").max(AB_LIMITS.maxVariants - 1, `must be at most ${AB_LIMITS.maxVariants - 1}`),
  }),
  run: (ctx, { id, variant }) => chooseWinner(ctx, id, variant),
});
