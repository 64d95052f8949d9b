import "server-only";
import { and, eq, inArray, sql } from "drizzle-orm";
import { queryRows } from "@/db/client";
import { companies, departments, pools, tasks, type Task, type TaskStatus } from "@/db/schema";
import { releaseQuota, remainingQuota, reserveQuota } from "@/lib/accounts/quota";
import { readSetting } from "@/lib/accounts/settings";
import type { AuditAction } from "@/lib/audit/actions";
import { recordAudit } from "@/lib/audit/record";
import type { AuditNote, AuditSummary } from "@/lib/i18n/audit-summaries-en";
import { authorize, resolveTargetDepartment } from "@/lib/access/policy";
import type { Ctx } from "@/lib/access/context";
import { AppError, conflict, invalidInput, notFound } from "@/lib/errors";
import { loadSender } from "@/lib/senders/senders";
import { assertTemplateUsable } from "@/lib/templates/store";
import { notifyEngine } from "@/lib/dispatch/task-changes";
import { segmentsOfDepartment } from "@/lib/audiences/segments/store";
import { countAudience, type Audience } from "./recipients";
import { stopTask } from "./lifecycle";
import { isUuid } from "@/lib/ids";
import { taskView, type TaskView } from "./task-view";
import { channelConfigured, estimateSmsSegments, type OfferedChannel } from "./channel";
import { checkAbTest, type AbTestInput } from "./ab-test-check";
import { checkReplySettings, type ReplyInput } from "./reply-settings";

export type TaskInput = ReplyInput & {
  name: string;
  templateId: string;
  poolIds: string[] | "all";
  /** Saved segments sent to beside the pools (evaluated at materialisation); with them, poolIds may be []. */
  segmentIds?: string[];
  /** What the task sends over; absent: e-mail. An SMS or WhatsApp task names a template of its channel and no sender. */
  channel?: OfferedChannel;
  /** The mail sender; required for e-mail, absent for SMS and WhatsApp. */
  senderId?: string | null;
  fromName?: string | null;
  limit?: number | null;
  /** Absent or null: now. */
  scheduledAt?: Date | null;
  tracking?: boolean;
  /** Required of company-wide callers; a department caller may leave it out. */
  departmentId?: string | null;
  /** An A/B test of 2–4 variants on a share of the audience, the winner going to the rest (e-mail only); absent or null: none. */
  abTest?: AbTestInput | null;
  /** Deliver within 24 hours of the start, each recipient at their best hour of day (e-mail; not with an A/B test). */
  sendTimeOptimization?: boolean;
};

/** Checks what a task names (template, sender, pools) against its department and freezes the template version. */
async function resolvePlan(ctx: Ctx, input: TaskInput, departmentId: string) {
  const name = input.name.trim();
  if (!name) throw invalidInput("taskNameMissing", { field: "name" });
  if (name.length > 200) throw invalidInput("taskNameTooLong", { field: "name" });
  const channel = input.channel ?? "email";
  const template = await assertTemplateUsable(ctx, input.templateId).catch((error: unknown) => Promise.reject(withField(error, "templateId")));
  if (template.departmentId !== departmentId) throw invalidInput("templateOfOtherDepartment", { field: "templateId" });
  if (template.channel !== channel) throw invalidInput(templateMismatch(channel, template.channel), { field: "templateId" });
  let sender: Awaited<ReturnType<typeof loadSender>> | null = null;
  if (channel !== "email") {
    if (input.senderId) throw invalidInput(channel === "sms" ? "senderNotForSms" : "senderNotForWhatsApp", { field: "senderId" });
    if (!channelConfigured(channel)) throw invalidInput(channel === "sms" ? "smsNotConfigured" : "whatsappNotConfigured", { field: "channel" });
    // Outside the 24-hour window (a task's recipients have not written first) Meta takes approved templates only.
    if (channel === "whatsapp" && !template.content.whatsapp) throw invalidInput("whatsappTemplateRequired", { field: "templateId" });
  } else {
    if (!hasUnsubscribeLink(template.content.html) && (await readSetting(ctx.db, "requireUnsubscribeLink"))) throw invalidInput("unsubscribeLinkRequired", { field: "templateId" });
    sender = await loadSender(ctx, input.senderId ?? "").catch((error) => {
      throw withField(error, "senderId");
    });
    if (sender.departmentId !== departmentId) throw invalidInput("senderOfOtherDepartment", { field: "senderId" });
  }
  const segments = await segmentsOfDepartment(ctx.db, departmentId, input.segmentIds ?? []);
  let poolIds: string[] | null = null;
  if (input.poolIds !== "all") {
    poolIds = [...new Set(input.poolIds)];
    if (poolIds.length === 0 && segments.length === 0) throw invalidInput("noPoolChosen", { field: "poolIds" });
    const bad = poolIds.find((id) => !isUuid(id));
    if (bad) throw invalidInput("poolMissing", { field: "poolIds", params: { id: bad } });
    const found = await ctx.db.select({ id: pools.id }).from(pools).where(and(inArray(pools.id, poolIds), eq(pools.departmentId, departmentId)));
    const missing = poolIds.find((id) => !found.some((row) => row.id === id));
    if (missing) throw invalidInput("poolMissing", { field: "poolIds", params: { id: missing } });
  }
  const limit = input.limit ?? null;
  if (limit !== null && (!Number.isInteger(limit) || limit < 1)) throw invalidInput("limitNotPositive", { field: "limit" });
  const fromName = (input.fromName ?? "").trim();
  if (fromName.length > 200 || /[\r\n]/.test(fromName)) throw invalidInput("fromNameInvalid", { field: "fromName" });
  const unsubscribeRequired = channel === "email" && (await readSetting(ctx.db, "requireUnsubscribeLink"));
  const abTest = input.abTest
    ? await checkAbTest(ctx, input.abTest, {
        channel,
        templateId: template.id,
        templateVersion: template.currentVersion,
        fromName,
        limit,
        requireUnsubscribe: (html) => !unsubscribeRequired || hasUnsubscribeLink(html),
      })
    : null;
  const sendTimeOptimized = input.sendTimeOptimization === true;
  if (sendTimeOptimized && (channel !== "email" || abTest)) throw invalidInput(abTest ? "sendTimeWithAbTest" : "sendTimeEmailOnly", { field: "sendTimeOptimization" });
  return { name, channel, template, sender, poolIds, segments, limit, fromName: channel === "email" ? fromName : "", abTest, sendTimeOptimized, replies: checkReplySettings(input, channel) };
}

/** The task columns a checked plan decides, the same on creation and on an edit. */
function planColumns(plan: Awaited<ReturnType<typeof resolvePlan>>) {
  return {
    name: plan.name,
    templateId: plan.template.id,
    templateVersion: plan.template.currentVersion,
    poolIds: plan.poolIds,
    segmentIds: plan.segments.map((segment) => segment.id),
    channel: plan.channel,
    senderId: plan.sender?.id ?? null,
    fromName: plan.fromName,
    recipientLimit: plan.limit,
    abTest: plan.abTest,
    abPhase: plan.abTest ? ("testing" as const) : null,
    sendTimeOptimized: plan.sendTimeOptimized,
    ...plan.replies,
  };
}

/** Why a template of `given` channel does not fit a task on `channel`. */
function templateMismatch(channel: OfferedChannel, given: string) {
  if (channel === "whatsapp") return "templateNotWhatsApp";
  if (given === "whatsapp") return "templateIsWhatsApp";
  return channel === "sms" ? "templateNotSms" : "templateNotEmail";
}

function withField(error: unknown, field: string) {
  if (error instanceof AppError && error.code === "not_found") return invalidInput(error.reason, { field, params: error.params });
  return error;
}

/** Who a checked plan sends to (its segments' rules as they are now). */
export function planAudience(plan: Awaited<ReturnType<typeof resolvePlan>>, departmentId: string): Audience {
  return { departmentId, poolIds: plan.poolIds, segments: plan.segments.map((segment) => segment.rule), channel: plan.channel };
}

/**
 * Quota a task reserves when it is created: what its audience holds now, up to its limit; on SMS
 * times the segments of its text for a contact without a name (materialisation counts each
 * recipient's own text and reserves or gives back the difference).
 */
async function estimate(ctx: Ctx, plan: Awaited<ReturnType<typeof resolvePlan>>, audience: Audience) {
  const { limit } = plan;
  const { sendable } = await countAudience(ctx.db, audience);
  if (limit !== null && limit > sendable) throw invalidInput("limitAboveAudience", { field: "limit", params: { limit, sendable } });
  const recipients = limit === null ? sendable : Math.min(limit, sendable);
  return plan.channel === "sms" ? recipients * (await estimateSmsSegments(ctx.db, plan.template.content.text ?? "")) : recipients;
}

/** Whether a template's HTML outputs `{{ unsubscribe_url }}` (with or without filters), which becomes each recipient's unsubscribe link. */
export function hasUnsubscribeLink(html: string): boolean {
  return /\{\{-?\s*unsubscribe_url\s*(?:\||-?\}\})/.test(html);
}

/** The checks createTask makes before it writes anything, for the console's confirmation step: the checked plan and what it would reserve. */
export async function checkTask(ctx: Ctx, input: TaskInput, departmentId: string) {
  const plan = await resolvePlan(ctx, input, departmentId);
  return { plan, reserve: await estimate(ctx, plan, planAudience(plan, departmentId)) };
}

const TRIAL_UNDONE = new Error("trial reservation undone");

/**
 * What a reservation of `reserve` (after giving back `releasing`, as an edit does) would leave the
 * department and the company (null: unlimited), found by making it in a transaction that is then
 * undone, so the confirmation step refuses (quota_exceeded) exactly when creating would.
 */
export async function trialReservation(ctx: Ctx, departmentId: string, reserve: number, releasing = 0) {
  let left: { department: number | null; company: number | null } = { department: null, company: null };
  await ctx.db
    .transaction(async (tx) => {
      await releaseQuota(tx, departmentId, releasing);
      await reserveQuota(tx, departmentId, reserve);
      const [department] = await tx.select({ total: departments.quotaAllocated, used: departments.quotaUsed, reserved: departments.quotaReserved }).from(departments).where(eq(departments.id, departmentId));
      const [company] = await tx.select({ total: companies.quotaTotal, used: companies.quotaUsed, reserved: companies.quotaReserved }).from(companies).where(eq(companies.id, 1));
      left = { department: department ? remainingQuota(department) : null, company: company ? remainingQuota(company) : null };
      throw TRIAL_UNDONE;
    })
    .catch((error: unknown) => {
      if (error !== TRIAL_UNDONE) throw error;
    });
  return left;
}

/**
 * Creates a task: checks it, reserves its quota (409 quota_exceeded when it does not fit) and
 * hands it to the engine, which starts it at its time.
 */
export async function createTask(ctx: Ctx, input: TaskInput): Promise<TaskView> {
  const departmentId = resolveTargetDepartment(ctx.actor, input.departmentId);
  authorize(ctx.actor, "tasks.manage", { departmentId });
  const plan = await resolvePlan(ctx, input, departmentId);
  const scheduledAt = input.scheduledAt ?? new Date();
  const reserve = await estimate(ctx, plan, planAudience(plan, departmentId));
  const task = await ctx.db.transaction(async (tx) => {
    const row = await insertScheduledTask(ctx, tx, { departmentId, ...planColumns(plan), tracking: input.tracking ?? true }, scheduledAt, reserve);
    const params = { name: plan.name, recipients: reserve, pools: plan.poolIds?.length ?? null, at: scheduledAt.toISOString() };
    const notes: AuditNote[] = [plan.poolIds ? "fromPools" : "allAddresses", input.scheduledAt ? "scheduledAt" : "now"];
    await recordAudit(tx, ctx.actor, { action: "task.create", objectType: "task", objectId: row.id, departmentId, summary: { key: "task.create", params, notes } });
    return row;
  });
  await notifyEngine("scheduled", { id: task.id, scheduledAt: task.scheduledAt });
  return taskView(task);
}

/** A new task waiting for its time, holding `reserve` of its department's quota, reserved in the same transaction (409 when it does not fit). */
export async function insertScheduledTask(
  ctx: Ctx,
  tx: Ctx["db"],
  columns: Omit<typeof tasks.$inferInsert, "status" | "scheduledAt" | "reserved" | "createdBy" | "clientIp">,
  scheduledAt: Date,
  reserve: number,
): Promise<Task> {
  await reserveQuota(tx, columns.departmentId, reserve);
  const [row] = await tx
    .insert(tasks)
    .values({ ...columns, status: "scheduled", scheduledAt, reserved: reserve, createdBy: ctx.actor.label, clientIp: ctx.actor.ip ?? "" })
    .returning();
  return row!;
}

async function lockTask(ctx: Ctx, tx: Ctx["db"], id: string) {
  if (!isUuid(id)) throw notFound("task");
  const [task] = await queryRows<{ id: string; department_id: string }>(tx, sql`select id, department_id from tasks where id = ${id} for update`);
  if (!task) throw notFound("task");
  authorize(ctx.actor, "tasks.manage", { departmentId: task.department_id });
  const [row] = await tx.select().from(tasks).where(eq(tasks.id, id));
  return row!;
}

/** Changes a task that has not started yet; its quota reservation follows the new audience. */
export async function updateTask(ctx: Ctx, id: string, input: TaskInput): Promise<TaskView> {
  const current = await loadTask(ctx, id, "tasks.manage");
  if (current.kind === "smtp" || current.kind === "group") throw smtpTaskFixed();
  // Its audience is the original's non-openers, not pools: cancel it and make another instead.
  if (current.followUpOf) throw conflict("followUpFixed");
  const plan = await resolvePlan(ctx, input, current.departmentId);
  const reserve = await estimate(ctx, plan, planAudience(plan, current.departmentId));
  const task = await ctx.db.transaction(async (tx) => {
    const locked = await lockTask(ctx, tx, id);
    if (locked.status !== "scheduled") throw conflict("onlyScheduledEditable", { params: { status: locked.status } });
    await releaseQuota(tx, locked.departmentId, locked.reserved);
    await reserveQuota(tx, locked.departmentId, reserve);
    const [row] = await tx
      .update(tasks)
      .set({
        ...planColumns(plan),
        tracking: input.tracking ?? locked.tracking,
        scheduledAt: input.scheduledAt ?? new Date(),
        reserved: reserve,
        updatedAt: new Date(),
      })
      .where(eq(tasks.id, id))
      .returning();
    await recordAudit(tx, ctx.actor, { action: "task.update", objectType: "task", objectId: id, departmentId: locked.departmentId, summary: { key: "task.update", params: { name: plan.name, recipients: reserve } } });
    return row!;
  });
  await notifyEngine("scheduled", { id: task.id, scheduledAt: task.scheduledAt });
  return taskView(task);
}

/** What an smtp task is sent with is the message its client submitted: it can be paused, resumed or cancelled, not changed. */
export function smtpTaskFixed() {
  return conflict("submittedTaskFixed");
}

/** Stops taking new batches; the batch in flight finishes and is recorded. */
export async function pauseTask(ctx: Ctx, id: string): Promise<TaskView> {
  const task = await transition(ctx, id, "task.pause", ["sending", "scheduled"], "paused", (row) => ({ key: "task.pause", params: { name: row.name, sent: row.sent, waiting: row.queued } }));
  await notifyEngine("paused", task);
  return taskView(task);
}

/**
 * Continues a paused task where it stopped (or waits for its time if it never started). With
 * `ignoreGuard` the reputation guard leaves the task alone from now on, audited on its own.
 */
export async function resumeTask(ctx: Ctx, id: string, options: { ignoreGuard?: boolean } = {}): Promise<TaskView> {
  const task = await transition(
    ctx,
    id,
    "task.resume",
    ["paused"],
    (row) => (row.startedAt ? "sending" : "scheduled"),
    (row) => ({ key: "task.resume", params: { name: row.name } }),
    options.ignoreGuard
      ? async (tx, row) => {
          await tx.update(tasks).set({ guardOverride: true }).where(eq(tasks.id, row.id));
          await recordAudit(tx, ctx.actor, { action: "task.guard_override", objectType: "task", objectId: row.id, departmentId: row.departmentId, summary: { key: "task.guardOverride", params: { name: row.name } } });
        }
      : undefined,
  );
  await notifyEngine(task.status === "scheduled" ? "scheduled" : "resumed", { id: task.id, scheduledAt: task.scheduledAt });
  return taskView(task);
}

/** Stops the task for good: waiting recipients are cancelled and their quota given back. */
export async function cancelTask(ctx: Ctx, id: string): Promise<TaskView> {
  const task = await ctx.db.transaction(async (tx) => {
    const locked = await lockTask(ctx, tx, id);
    if (!["scheduled", "sending", "paused"].includes(locked.status)) throw conflict("taskAlready", { params: { status: locked.status } });
    const stopped = await stopTask(tx, locked, { status: "cancelled", error: "Task cancelled" });
    await recordAudit(tx, ctx.actor, {
      action: "task.cancel",
      objectType: "task",
      objectId: id,
      departmentId: locked.departmentId,
      summary: { key: "task.cancel", params: { name: locked.name, sent: locked.sent, notSent: stopped.cancelled, released: stopped.released } },
    });
    return stopped.task;
  });
  await notifyEngine("cancelled", task);
  return taskView(task);
}

async function transition(
  ctx: Ctx,
  id: string,
  action: AuditAction,
  from: TaskStatus[],
  to: TaskStatus | ((task: Task) => TaskStatus),
  summary: (task: Task) => AuditSummary,
  also?: (tx: Ctx["db"], task: Task) => Promise<void>,
): Promise<Task> {
  return ctx.db.transaction(async (tx) => {
    const locked = await lockTask(ctx, tx, id);
    if (!from.includes(locked.status)) throw conflict("taskWrongStatus", { params: { status: locked.status, needed: from.join(" or ") } });
    const status = typeof to === "function" ? to(locked) : to;
    await tx.update(tasks).set({ status, updatedAt: new Date() }).where(eq(tasks.id, id));
    await recordAudit(tx, ctx.actor, { action, objectType: "task", objectId: id, departmentId: locked.departmentId, summary: summary(locked) });
    await also?.(tx, locked);
    const [row] = await tx.select().from(tasks).where(eq(tasks.id, id));
    return row!;
  });
}

/** One task the caller may see (`reports.view`) or change (`tasks.manage`). */
export async function loadTask(ctx: Ctx, id: string, permission: "tasks.manage" | "reports.view" = "reports.view"): Promise<Task> {
  if (!isUuid(id)) throw notFound("task");
  const [task] = await ctx.db.select().from(tasks).where(eq(tasks.id, id));
  if (!task) throw notFound("task");
  authorize(ctx.actor, permission, { departmentId: task.departmentId });
  return task;
}

export async function getTask(ctx: Ctx, id: string): Promise<TaskView> {
  return taskView(await loadTask(ctx, id));
}
