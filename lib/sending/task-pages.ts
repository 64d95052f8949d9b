import "server-only";
import { and, asc, eq, inArray, type Column } from "drizzle-orm";
import type { PgSelect } from "drizzle-orm/pg-core";
import { departments, pools, senderDomains, senders, smtpAccounts, smtpSubmissions, templates, type Task } from "@/db/schema";
import { authorize, departmentScope, resolveTargetDepartment } from "@/lib/access/policy";
import type { Ctx } from "@/lib/access/context";
import { invalidInput } from "@/lib/errors";
import { countAudience } from "./recipients";
import { loadTask, taskView, type TaskView } from "./tasks";
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
async function loadReadableTask(ctx: Ctx, id: string): Promise<Task> {
  authorize(ctx.actor, "tasks.view");
  const task = await loadTask(ctx, id, "reports.view");
  authorize(ctx.actor, "tasks.view", { departmentId: task.departmentId });
  return task;
}

/** The templates, pools and senders a task form offers, each with its department. */
export async function taskFormOptions(ctx: Ctx) {
  authorize(ctx.actor, "tasks.manage");
  const { db } = ctx;
  const [departmentRows, templateRows, poolRows, senderRows] = await Promise.all([
    choices(ctx, db.select({ id: departments.id, name: departments.name }).from(departments).$dynamic(), departments.id, departments.name),
    choices(
      ctx,
      db.select({ id: templates.id, departmentId: templates.departmentId, name: templates.name, version: templates.currentVersion }).from(templates).$dynamic(),
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
  ]);
  return { departments: departmentRows, templates: templateRows, pools: poolRows, senders: senderRows };
}

/** A form's choices: the rows of `query` in the departments the caller may see, in `order`, a thousand at most. */
function choices<T extends PgSelect>(ctx: Ctx, query: T, department: Column, ...order: Column[]) {
  return query
    .where(departmentScope(ctx.actor, department))
    .orderBy(...order.map((column) => asc(column)))
    .limit(1000);
}
export type TaskFormOptions = Awaited<ReturnType<typeof taskFormOptions>>;

/** How many a task for these pools (or all addresses) would send to now, and how many are suppressed. */
export async function audienceSize(ctx: Ctx, input: { departmentId?: string | null; poolIds: string[] | "all" }) {
  const departmentId = resolveTargetDepartment(ctx.actor, input.departmentId);
  authorize(ctx.actor, "tasks.manage", { departmentId });
  let poolIds: string[] | null = null;
  if (input.poolIds !== "all") {
    poolIds = [...new Set(input.poolIds)];
    if (poolIds.some((id) => !isUuid(id))) throw invalidInput("poolIdMalformed", { field: "poolIds" });
    if (poolIds.length === 0) return { sendable: 0, suppressed: 0 };
    const found = await ctx.db.select({ id: pools.id }).from(pools).where(and(inArray(pools.id, poolIds), eq(pools.departmentId, departmentId)));
    if (found.length !== poolIds.length) throw invalidInput("poolOfOtherDepartment", { field: "poolIds" });
  }
  return countAudience(ctx.db, { departmentId, poolIds });
}

/** A task with the names of what it refers to, for its detail page and its forms. */
export async function taskDetail(ctx: Ctx, id: string) {
  const task = await loadReadableTask(ctx, id);
  const [[template], [sender], [department], poolRows] = await Promise.all([
    task.templateId ? ctx.db.select({ name: templates.name }).from(templates).where(eq(templates.id, task.templateId)) : Promise.resolve([]),
    ctx.db
      .select({ address: senders.address, name: senders.name })
      .from(senders)
      .where(eq(senders.id, task.senderId)),
    ctx.db.select({ name: departments.name }).from(departments).where(eq(departments.id, task.departmentId)),
    task.poolIds && task.poolIds.length > 0
      ? ctx.db.select({ id: pools.id, name: pools.name }).from(pools).where(and(inArray(pools.id, task.poolIds), eq(pools.departmentId, task.departmentId)))
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
