import "server-only";
import { and, asc, desc, eq, gte, inArray, sql, type Column, type SQL } from "drizzle-orm";
import type { PgSelect } from "drizzle-orm/pg-core";
import { queryRows } from "@/db/client";
import { toArray } from "@/db/sql";
import { auditLog, contacts, departments, pools, segments, senderDomains, senders, smtpAccounts, smtpSubmissions, tasks, templates, type Task, type TaskStatus } from "@/db/schema";
import { authorize, departmentScope, resolveTargetDepartment } from "@/lib/access/policy";
import type { Ctx } from "@/lib/access/context";
import { conflict, invalidInput } from "@/lib/errors";
import { PLACEHOLDER_CONTACT, renderContent, type SampleContact } from "@/lib/templates/store";
import { channelConfigured, type OfferedChannel } from "./channel";
import { countAudience, nextCandidates, type Audience } from "./recipients";
import { segmentsOfDepartment } from "@/lib/audiences/segments/store";
import { checkTask, hasUnsubscribeLink, loadTask, planAudience, smtpTaskFixed, trialReservation, type TaskInput } from "./tasks";
import { taskView, type TaskView } from "./task-view";
import { isUuid } from "@/lib/ids";

/** Read-only helpers for the console's Tasks pages; the changes themselves go through tasks.ts. */

/** What the progress bar shows; the route handler answers it and the pages start from it. */
export function taskProgress(view: TaskView) {
  return {
    id: view.id,
    status: view.status,
    total: view.total,
    queued: view.queued,
    sent: view.sent,
    delivered: view.delivered,
    failed: view.failed,
    bounced: view.bounced,
    suppressed: view.suppressed,
    cancelled: view.cancelled,
    materialized: view.materialized,
    note: view.note,
    startedAt: view.startedAt,
    finishedAt: view.finishedAt,
  };
}
export type TaskProgress = ReturnType<typeof taskProgress>;

export async function loadTaskProgress(ctx: Ctx, id: string): Promise<TaskProgress> {
  return taskProgress(taskView(await loadReadableTask(ctx, id)));
}

/** A task whose page the caller may open: managers read their readable departments' tasks, never change them. */
export async function loadReadableTask(ctx: Ctx, id: string): Promise<Task> {
  authorize(ctx.actor, "tasks.view");
  const task = await loadTask(ctx, id, "reports.view");
  authorize(ctx.actor, "tasks.view", { departmentId: task.departmentId });
  return task;
}

/** The templates, pools and senders a task form offers, each with its department. */
export async function taskFormOptions(ctx: Ctx) {
  authorize(ctx.actor, "tasks.manage");
  const { db } = ctx;
  const [departmentRows, templateRows, poolRows, senderRows, segmentRows] = await Promise.all([
    choices(ctx, db.select({ id: departments.id, name: departments.name }).from(departments).$dynamic(), departments.id, departments.name),
    choices(
      ctx,
      db.select({ id: templates.id, departmentId: templates.departmentId, name: templates.name, version: templates.currentVersion, channel: templates.channel }).from(templates).$dynamic(),
      templates.departmentId,
      templates.name,
    ),
    choices(
      ctx,
      db.select({ id: pools.id, departmentId: pools.departmentId, name: pools.name, contactCount: pools.contactCount }).from(pools).$dynamic(),
      pools.departmentId,
      pools.name,
    ),
    choices(
      ctx,
      db
        .select({ id: senders.id, departmentId: senders.departmentId, address: senders.address, name: senders.name, domain: senderDomains.domain, domainStatus: senderDomains.status })
        .from(senders)
        .innerJoin(senderDomains, eq(senderDomains.id, senders.domainId))
        .$dynamic(),
      senders.departmentId,
      senderDomains.domain,
      senders.address,
    ),
    choices(ctx, db.select({ id: segments.id, departmentId: segments.departmentId, name: segments.name }).from(segments).$dynamic(), segments.departmentId, segments.name),
  ]);
  /** Whether the form offers SMS and WhatsApp: the server has the channel's provider configured. */
  return { departments: departmentRows, templates: templateRows, pools: poolRows, senders: senderRows, segments: segmentRows, smsConfigured: channelConfigured("sms"), whatsappConfigured: channelConfigured("whatsapp") };
}

/** A form's choices: the rows of `query` in the departments the caller may see, in `order`, a thousand at most. */
function choices<T extends PgSelect>(ctx: Ctx, query: T, department: Column, ...order: Column[]) {
  return query
    .where(departmentScope(ctx.actor, department))
    .orderBy(...order.map((column) => asc(column)))
    .limit(1000);
}
export type TaskFormOptions = Awaited<ReturnType<typeof taskFormOptions>>;

/** How many a task for these pools (or all addresses) and segments would send to now, and how many are suppressed. */
export async function audienceSize(ctx: Ctx, input: { departmentId?: string | null; poolIds: string[] | "all"; segmentIds?: string[]; channel?: OfferedChannel }) {
  const departmentId = resolveTargetDepartment(ctx.actor, input.departmentId);
  authorize(ctx.actor, "tasks.manage", { departmentId });
  const chosen = await segmentsOfDepartment(ctx.db, departmentId, input.segmentIds ?? []);
  let poolIds: string[] | null = null;
  if (input.poolIds !== "all") {
    poolIds = [...new Set(input.poolIds)];
    if (poolIds.some((id) => !isUuid(id))) throw invalidInput("poolIdMalformed", { field: "poolIds" });
    if (poolIds.length === 0 && chosen.length === 0) return { sendable: 0, suppressed: 0 };
    const found = poolIds.length === 0 ? [] : await ctx.db.select({ id: pools.id }).from(pools).where(and(inArray(pools.id, poolIds), eq(pools.departmentId, departmentId)));
    if (found.length !== poolIds.length) throw invalidInput("poolOfOtherDepartment", { field: "poolIds" });
  }
  return countAudience(ctx.db, { departmentId, poolIds, segments: chosen.map((segment) => segment.rule), channel: input.channel ?? "email" });
}

/** A task with the names of what it refers to, for its detail page and its forms. */
export async function taskDetail(ctx: Ctx, id: string) {
  const task = await loadReadableTask(ctx, id);
  const [[template], [sender], [department], poolRows, segmentRows, [original]] = await Promise.all([
    task.templateId ? ctx.db.select({ name: templates.name }).from(templates).where(eq(templates.id, task.templateId)) : Promise.resolve([]),
    task.senderId ? ctx.db.select({ address: senders.address, name: senders.name }).from(senders).where(eq(senders.id, task.senderId)) : Promise.resolve([]),
    ctx.db.select({ name: departments.name }).from(departments).where(eq(departments.id, task.departmentId)),
    task.poolIds && task.poolIds.length > 0
      ? ctx.db.select({ id: pools.id, name: pools.name }).from(pools).where(and(inArray(pools.id, task.poolIds), eq(pools.departmentId, task.departmentId)))
      : Promise.resolve([]),
    task.segmentIds.length > 0
      ? ctx.db.select({ id: segments.id, name: segments.name }).from(segments).where(and(inArray(segments.id, task.segmentIds), eq(segments.departmentId, task.departmentId)))
      : Promise.resolve([]),
    task.followUpOf
      ? ctx.db.select({ id: tasks.id, name: tasks.name }).from(tasks).where(and(eq(tasks.id, task.followUpOf), eq(tasks.departmentId, task.departmentId)))
      : Promise.resolve([]),
  ]);
  const view = taskView(task);
  return {
    task: view,
    /** For an smtp task: who submitted it, from where, with which envelope, how large; null for a campaign. */
    submission: task.kind === "smtp" ? await submissionOf(ctx, task) : null,
    progress: taskProgress(view),
    templateName: template?.name ?? "",
    senderAddress: sender?.address ?? "",
    senderName: sender?.name ?? "",
    departmentName: department?.name ?? "",
    /** In the task's order; a pool deleted since is left out. */
    pools: (task.poolIds ?? []).flatMap((poolId) => poolRows.filter((row) => row.id === poolId)),
    /** In the task's order, with the contacts each held when materialisation began (null before; a segment deleted since keeps its count, named by id). */
    segments: task.segmentIds.map((segmentId) => ({
      id: segmentId,
      name: segmentRows.find((row) => row.id === segmentId)?.name ?? null,
      countAtMaterialisation: task.segmentCounts?.[segmentId] ?? null,
    })),
    /** A follow-up's original task (its non-openers are the audience). */
    followUpOf: original ?? null,
  };
}
export type TaskDetail = Awaited<ReturnType<typeof taskDetail>>;

/** An smtp task's submission without its message: the account (null once deleted), client IP, envelope sender and size. */
async function submissionOf(ctx: Ctx, task: Task) {
  const [row] = await ctx.db
    .select({ accountName: smtpAccounts.username, envelopeFrom: smtpSubmissions.envelopeFrom, size: smtpSubmissions.size, clientIp: smtpSubmissions.clientIp })
    .from(smtpSubmissions)
    .leftJoin(smtpAccounts, and(eq(smtpAccounts.id, smtpSubmissions.accountId), eq(smtpAccounts.departmentId, smtpSubmissions.departmentId)))
    .where(and(eq(smtpSubmissions.taskId, task.id), eq(smtpSubmissions.departmentId, task.departmentId)));
  return { accountName: row?.accountName ?? null, clientIp: row?.clientIp || task.clientIp, envelopeFrom: row?.envelopeFrom ?? "", size: row?.size ?? null };
}

/**
 * What the console's confirmation step shows before a task is created (taskId null) or a scheduled
 * one changed: the same checks and refusals as createTask and updateTask make (which make them
 * again on confirm), the audience after suppression and after contacts in several pools are
 * counted once, the quota left afterwards, the sender domain's DNS state, whether the template's
 * current version was test-sent, and the message rendered for the first recipient. Changes nothing.
 */
export async function reviewTask(ctx: Ctx, input: TaskInput, taskId: string | null) {
  let departmentId: string;
  let releasing = 0;
  if (taskId) {
    const current = await loadTask(ctx, taskId, "tasks.manage");
    if (current.kind === "smtp" || current.kind === "group") throw smtpTaskFixed();
    if (current.status !== "scheduled") throw conflict("onlyScheduledEditable", { params: { status: current.status } });
    departmentId = current.departmentId;
    releasing = current.reserved;
  } else {
    departmentId = resolveTargetDepartment(ctx.actor, input.departmentId);
    authorize(ctx.actor, "tasks.manage", { departmentId });
  }
  const { plan, reserve } = await checkTask(ctx, input, departmentId);
  const audience: Audience = planAudience(plan, departmentId);
  const quotaLeft = await trialReservation(ctx, departmentId, reserve, releasing);
  const [counts, duplicates, [domain], [tested], contact] = await Promise.all([
    countAudience(ctx.db, audience),
    countDuplicates(ctx, audience),
    plan.sender
      ? ctx.db
          .select({ domain: senderDomains.domain, status: senderDomains.status, checks: senderDomains.checks, checkedAt: senderDomains.checkedAt })
          .from(senderDomains)
          .where(eq(senderDomains.id, plan.sender.domainId))
      : Promise.resolve([]),
    // Test sends are audited (template.test_send) and always send the current version: one since that version was saved tested it.
    ctx.db
      .select({ at: auditLog.at, by: auditLog.operatorLabel })
      .from(auditLog)
      .where(and(eq(auditLog.action, "template.test_send"), eq(auditLog.objectType, "template"), eq(auditLog.objectId, plan.template.id), eq(auditLog.departmentId, departmentId), gte(auditLog.at, plan.template.content.createdAt)))
      .orderBy(desc(auditLog.at))
      .limit(1),
    firstRecipient(ctx, audience),
  ]);
  const { sender } = plan;
  const fromName = plan.fromName || (sender?.name ?? "");
  let preview: { to: string; subject: string; html: string } | null = null;
  try {
    const rendered = renderContent(plan.template.content, contact, { sender_name: fromName, sender_address: sender?.address ?? "", unsubscribe_url: "#unsubscribe" });
    preview = { to: contact.email, subject: rendered.subject, html: rendered.html };
  } catch {
    // A render that fails for this contact (a render limit) leaves the preview out; the lint already passed.
  }
  return {
    /** Who will receive it: the audience after suppression, up to the limit. */
    recipients: reserve,
    sendable: counts.sendable,
    suppressed: counts.suppressed,
    /** Contacts in more than one of the chosen pools, each counted (and sent) once. */
    duplicates,
    limit: plan.limit,
    /** Sends left afterwards (null: unlimited). */
    quotaLeft,
    /** Null for an SMS task, which has no sender (nor a sender domain). */
    sender: sender ? { address: sender.address, name: fromName } : null,
    domain: sender
      ? {
          name: domain?.domain ?? sender.domain,
          status: domain?.status ?? sender.domainStatus,
          checkedAt: domain?.checkedAt?.toISOString() ?? null,
          checks: (domain?.checks ?? []).map((check) => ({ record: check.record, pass: check.pass })),
        }
      : null,
    template: { id: plan.template.id, name: plan.template.name, version: plan.template.currentVersion, unsubscribeLink: hasUnsubscribeLink(plan.template.content.html) },
    testSend: tested ? { at: tested.at.toISOString(), by: tested.by } : null,
    preview,
  };
}
export type TaskReview = Awaited<ReturnType<typeof reviewTask>>;

/** Memberships of the chosen pools beyond one per contact (0 for all addresses or a single pool). */
async function countDuplicates(ctx: Ctx, audience: Audience): Promise<number> {
  if (!audience.poolIds || audience.poolIds.length < 2) return 0;
  const [row] = await queryRows<{ extra: string | number }>(
    ctx.db,
    sql`select count(*) - count(distinct pm.contact_id) as extra from pool_members pm join contacts c on c.id = pm.contact_id
        where pm.pool_id = any(${toArray(audience.poolIds)}::uuid[]) and c.department_id = ${audience.departmentId} and c.status <> 'pending'`,
  );
  return Number(row?.extra ?? 0);
}

/** The first contact the task would send to, for the preview; a placeholder when there is none. */
async function firstRecipient(ctx: Ctx, audience: Audience): Promise<SampleContact> {
  const first = (await nextCandidates(ctx.db, audience, 0, 100)).find((candidate) => !candidate.suppressed);
  if (!first) return PLACEHOLDER_CONTACT;
  const [row] = await ctx.db
    .select({ email: contacts.email, name: contacts.name, attributes: contacts.attributes })
    .from(contacts)
    .where(and(eq(contacts.id, first.id), eq(contacts.departmentId, audience.departmentId)));
  return row ?? PLACEHOLDER_CONTACT;
}

export const TASK_PAGE_SIZE = 20;

/** The caller's tasks, newest first, with template (or SMTP account), sender and department names. */
export async function listTasks(ctx: Ctx, options: { status?: TaskStatus; page?: number; pageSize?: number } = {}) {
  authorize(ctx.actor, "reports.view");
  const pageSize = options.pageSize ?? TASK_PAGE_SIZE;
  const page = Math.max(1, options.page ?? 1);
  const filters: (SQL | undefined)[] = [departmentScope(ctx.actor, tasks.departmentId), options.status ? eq(tasks.status, options.status) : undefined];
  const where = and(...filters);
  const [rows, [counted]] = await Promise.all([
    ctx.db
      .select({ task: tasks, templateName: templates.name, smtpUsername: smtpAccounts.username, senderAddress: senders.address, departmentName: departments.name })
      .from(tasks)
      .leftJoin(templates, eq(templates.id, tasks.templateId))
      .leftJoin(smtpAccounts, and(eq(smtpAccounts.id, tasks.smtpAccountId), eq(smtpAccounts.departmentId, tasks.departmentId)))
      .leftJoin(senders, eq(senders.id, tasks.senderId))
      .innerJoin(departments, eq(departments.id, tasks.departmentId))
      .where(where)
      .orderBy(desc(tasks.createdAt), desc(tasks.id))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    ctx.db.select({ value: sql<number>`count(*)::int` }).from(tasks).where(where),
  ]);
  return {
    tasks: rows.map((row) => ({
      ...taskView(row.task),
      templateName: row.templateName,
      /** The submitting account's user name for an smtp task; null once the account is deleted. */
      smtpUsername: row.smtpUsername,
      senderAddress: row.senderAddress,
      departmentName: row.departmentName,
    })),
    total: counted?.value ?? 0,
    page,
    pageSize,
  };
}
