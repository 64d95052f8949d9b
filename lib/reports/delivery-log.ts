import "server-only";
import { desc, inArray } from "drizzle-orm";
import { deliveries, departments, tasks, type TaskChannel } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { authorize, departmentScope } from "@/lib/access/policy";
import { listDeliveryPage, type DeliveryLogFilters, type DeliveryPage, type DeliveryRow } from "@/lib/deliveries/listing";

/**
 * 数据投递日志: every delivery the caller may read, across tasks, newest first, with the names of
 * their tasks and departments. The listing itself is lib/deliveries/listing.ts.
 */

export const DELIVERY_LOG_PAGE_SIZE = 50;

/**
 * A row with its task's name, its department's, the IP its task came from (the console's, the API
 * caller's or the SMTP client's), and its channel with the number or id it went to (null for e-mail).
 */
export type DeliveryLogRow = DeliveryRow & { taskName: string; department: string; clientIp: string; channel: TaskChannel; address: string | null };
export type DeliveryLogPage = Omit<DeliveryPage, "rows"> & { rows: DeliveryLogRow[] };

/** One page of the delivery log (see listDeliveryPage for the walk, the window and the cursor). */
export async function searchDeliveries(
  ctx: Ctx,
  filters: DeliveryLogFilters,
  limit = DELIVERY_LOG_PAGE_SIZE,
  options: { window?: number; timeZone?: string } = {},
): Promise<DeliveryLogPage> {
  authorize(ctx.actor, "reports.view");
  const page = await listDeliveryPage(ctx, filters, { ...options, limit });
  return { ...page, rows: await withNames(ctx, page.rows) };
}

async function withNames(ctx: Ctx, page: DeliveryRow[]): Promise<DeliveryLogRow[]> {
  if (page.length === 0) return [];
  const taskIds = [...new Set(page.map((row) => row.taskId))];
  const departmentIds = [...new Set(page.map((row) => row.departmentId))];
  const channelTasks = new Set<string>();
  const [taskNames, departmentNames] = await Promise.all([
    ctx.db.select({ id: tasks.id, name: tasks.name, clientIp: tasks.clientIp, channel: tasks.channel }).from(tasks).where(inArray(tasks.id, taskIds)),
    ctx.db.select({ id: departments.id, name: departments.name }).from(departments).where(inArray(departments.id, departmentIds)),
  ]);
  const taskOf = new Map(taskNames.map((row) => [row.id, row]));
  for (const task of taskNames) if (task.channel !== "email") channelTasks.add(task.id);
  const departmentName = new Map(departmentNames.map((row) => [row.id, row.name]));
  // The page's channel deliveries by primary key: the listing's walk stays as it is for mail.
  const channelIds = page.filter((row) => channelTasks.has(row.taskId)).map((row) => row.id);
  const addresses = channelIds.length
    ? new Map((await ctx.db.select({ id: deliveries.id, address: deliveries.address }).from(deliveries).where(inArray(deliveries.id, channelIds))).map((row) => [row.id, row.address]))
    : new Map<number, string | null>();
  return page.map((row) => ({
    ...row,
    taskName: taskOf.get(row.taskId)?.name ?? "",
    department: departmentName.get(row.departmentId) ?? "",
    clientIp: taskOf.get(row.taskId)?.clientIp ?? "",
    channel: taskOf.get(row.taskId)?.channel ?? "email",
    address: addresses.get(row.id) ?? null,
  }));
}

/** The newest tasks the caller may read, for the log's task filter. */
export async function recentTasks(ctx: Ctx, limit = 100) {
  authorize(ctx.actor, "reports.view");
  return ctx.db
    .select({ id: tasks.id, name: tasks.name, createdAt: tasks.createdAt })
    .from(tasks)
    .where(departmentScope(ctx.actor, tasks.departmentId))
    .orderBy(desc(tasks.createdAt), desc(tasks.id))
    .limit(limit);
}
