import "server-only";
import { and, asc, between, desc, eq, gt, sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { departments, deliveryDailySender, taskLinks, tasks, type TaskStatus } from "@/db/schema";
import { authorize, departmentScope } from "@/lib/access/policy";
import type { Ctx } from "@/lib/access/context";
import { notFound } from "@/lib/errors";
import { isUuid } from "@/lib/ids";
import { channelCondition, type ReportChannel } from "./channel-dimension";
import { daysOf, type ReportRange } from "./periods";
import { recipientFailureRows, type RecipientFailureRow } from "./recipient-failures";

/*
 * The report pages and the stats API read the daily rollups (`delivery_daily_sender`, and
 * `delivery_daily_failures` for failures by recipient domain) and the task
 * counters only (invariant 7): a report costs O(days × departments × IPs × domains), never
 * O(messages). Every query is scoped to what the caller may read.
 */

/** sum() of integers is a bigint, which drivers hand back as a string. */
const total = (column: AnyPgColumn) => sql<number>`coalesce(sum(${column}), 0)`.mapWith(Number);

/** Every report but failures by recipient domain reads the rollup without the recipient's domain: a few rows per department and day. */
const rollup = deliveryDailySender;

/** The caller's rollup rows of the range, of one channel when one is chosen (./channel-dimension.ts). */
export function inRange(ctx: Ctx, range: ReportRange, channel?: ReportChannel | null): SQL {
  authorize(ctx.actor, "reports.view");
  return and(between(rollup.day, range.from, range.to), departmentScope(ctx.actor, rollup.departmentId), channelCondition(channel))!;
}

export type SendRow = { date: string; departmentId: string; department: string; ip: string; domain: string; sent: number };

/** Messages sent per day × department × client IP × sender domain (群发统计 / 发送量). */
export async function sendReport(ctx: Ctx, range: ReportRange, channel?: ReportChannel | null): Promise<{ from: string; to: string; total: number; rows: SendRow[] }> {
  const where = inRange(ctx, range, channel);
  const sent = total(rollup.sent);
  const rows: SendRow[] = await ctx.db
    .select({
      date: rollup.day,
      departmentId: rollup.departmentId,
      department: departments.name,
      ip: rollup.clientIp,
      domain: rollup.senderDomain,
      sent,
    })
    .from(rollup)
    .innerJoin(departments, eq(departments.id, rollup.departmentId))
    .where(where)
    .groupBy(rollup.day, rollup.departmentId, departments.name, rollup.clientIp, rollup.senderDomain)
    .having(gt(sql`sum(${rollup.sent})`, 0))
    .orderBy(asc(rollup.day), asc(departments.name), asc(rollup.clientIp), asc(rollup.senderDomain));
  return { from: range.from, to: range.to, total: rows.reduce((sum, row) => sum + row.sent, 0), rows };
}

/** A row of failures by sender domain, or by recipient domain (where `others` marks the row summing the domains past the top ones). */
export type FailureRow = RecipientFailureRow;

/**
 * Failures per day × department × sender domain, by category (失败统计); by recipient domain,
 * each day and department's top domains and an "others" row (./recipient-failures.ts).
 */
export async function failureReport(
  ctx: Ctx,
  range: ReportRange,
  by: "sender" | "recipient" = "sender",
  channel?: ReportChannel | null,
): Promise<{ from: string; to: string; total: number; rows: FailureRow[] }> {
  const rows = by === "recipient" ? await recipientFailureRows(ctx, range, channel) : await senderFailureRows(ctx, range, channel);
  return { from: range.from, to: range.to, total: rows.reduce((sum, row) => sum + row.failed, 0), rows };
}

async function senderFailureRows(ctx: Ctx, range: ReportRange, channel?: ReportChannel | null): Promise<FailureRow[]> {
  // Counts never go below zero, so rows without failures can be left out before grouping.
  const where = and(inRange(ctx, range, channel), gt(rollup.failed, 0))!;
  return ctx.db
    .select({
      date: rollup.day,
      departmentId: rollup.departmentId,
      department: departments.name,
      domain: rollup.senderDomain,
      failed: total(rollup.failed),
      user_unknown: total(rollup.userUnknown),
      mailbox_full: total(rollup.mailboxFull),
      rejected: total(rollup.rejected),
      other: total(rollup.other),
    })
    .from(rollup)
    .innerJoin(departments, eq(departments.id, rollup.departmentId))
    .where(where)
    .groupBy(rollup.day, rollup.departmentId, departments.name, rollup.senderDomain)
    .having(gt(sql`sum(${rollup.failed})`, 0))
    .orderBy(asc(rollup.day), asc(departments.name), asc(rollup.senderDomain));
}

export type DailyPoint = { date: string; byDepartment: Record<string, number>; total: number };

/** Sends per day stacked by department (keyed by department name), every day of the range present. */
export async function sendsPerDay(ctx: Ctx, range: ReportRange, channel?: ReportChannel | null): Promise<{ departments: string[]; points: DailyPoint[] }> {
  const where = inRange(ctx, range, channel);
  const rows = await ctx.db
    .select({ date: rollup.day, department: departments.name, sent: total(rollup.sent) })
    .from(rollup)
    .innerJoin(departments, eq(departments.id, rollup.departmentId))
    .where(where)
    .groupBy(rollup.day, departments.id, departments.name)
    .having(gt(sql`sum(${rollup.sent})`, 0));
  const names = [...new Set(rows.map((row) => row.department))].sort((a, b) => a.localeCompare(b));
  const points = new Map(daysOf(range).map((date) => [date, { date, byDepartment: {} as Record<string, number>, total: 0 }]));
  for (const row of rows) {
    const point = points.get(row.date);
    if (!point) continue;
    point.byDepartment[row.department] = row.sent;
    point.total += row.sent;
  }
  return { departments: names, points: [...points.values()] };
}

/** Per-day sums of some rollup columns, every day of the range present (zeros where nothing happened). */
async function perDay<K extends string>(
  ctx: Ctx,
  range: ReportRange,
  columns: Record<K, AnyPgColumn>,
  channel?: ReportChannel | null,
): Promise<({ date: string } & Record<K, number>)[]> {
  const where = inRange(ctx, range, channel);
  const keys = Object.keys(columns) as K[];
  const selection = Object.fromEntries(keys.map((key) => [key, total(columns[key])])) as Record<K, SQL.Aliased<number> | SQL<number>>;
  const rows = (await ctx.db
    .select({ date: rollup.day, ...selection })
    .from(rollup)
    .where(where)
    .groupBy(rollup.day)) as unknown as ({ date: string } & Record<K, number>)[];
  const byDay = new Map(rows.map((row) => [row.date, row]));
  return daysOf(range).map((date) => {
    const row = byDay.get(date);
    return { date, ...(Object.fromEntries(keys.map((key) => [key, row?.[key] ?? 0])) as Record<K, number>) };
  });
}

/** Failures per day by category (for a stacked chart), zero-filled. */
export async function failureCategoriesPerDay(
  ctx: Ctx,
  range: ReportRange,
  channel?: ReportChannel | null,
): Promise<{ date: string; user_unknown: number; mailbox_full: number; rejected: number; other: number }[]> {
  return perDay(
    ctx,
    range,
    {
      user_unknown: rollup.userUnknown,
      mailbox_full: rollup.mailboxFull,
      rejected: rollup.rejected,
      other: rollup.other,
    },
    channel,
  );
}

/** Sent, delivered and what people did with it, per day, zero-filled; machine opens and clicks apart. */
export async function engagementPerDay(
  ctx: Ctx,
  range: ReportRange,
  channel?: ReportChannel | null,
): Promise<{ date: string; sent: number; delivered: number; opened: number; clicked: number; unsubscribed: number; machineOpened: number; machineClicked: number }[]> {
  return perDay(ctx, range, {
    sent: rollup.sent,
    delivered: rollup.delivered,
    opened: rollup.opened,
    clicked: rollup.clicked,
    unsubscribed: rollup.unsubscribed,
    machineOpened: rollup.machineOpened,
    machineClicked: rollup.machineClicked,
  }, channel);
}

export type ReportSummary = {
  sent: number;
  failed: number;
  delivered: number;
  bounced: number;
  complained: number;
  opened: number;
  clicked: number;
  unsubscribed: number;
  machineOpened: number;
  machineClicked: number;
  /** Opens and clicks by people over messages sent; null when nothing was sent. */
  openRate: number | null;
  clickRate: number | null;
};

/** The range's totals and rates (machine opens and clicks are counted apart and left out of the rates). */
export async function reportSummary(ctx: Ctx, range: ReportRange, channel?: ReportChannel | null): Promise<ReportSummary> {
  const where = inRange(ctx, range, channel);
  const [row] = await ctx.db
    .select({
      sent: total(rollup.sent),
      failed: total(rollup.failed),
      delivered: total(rollup.delivered),
      bounced: total(rollup.bounced),
      complained: total(rollup.complained),
      opened: total(rollup.opened),
      clicked: total(rollup.clicked),
      unsubscribed: total(rollup.unsubscribed),
      machineOpened: total(rollup.machineOpened),
      machineClicked: total(rollup.machineClicked),
    })
    .from(rollup)
    .where(where);
  const sums = row!;
  return {
    ...sums,
    openRate: sums.sent > 0 ? sums.opened / sums.sent : null,
    clickRate: sums.sent > 0 ? sums.clicked / sums.sent : null,
  };
}

export const TOP_LINKS = 20;

export type TaskReport = {
  task: {
    id: string;
    name: string;
    status: TaskStatus;
    departmentId: string;
    department: string;
    createdAt: string;
    startedAt: string | null;
    finishedAt: string | null;
  };
  funnel: {
    sent: number;
    delivered: number;
    opened: number;
    clicked: number;
    unsubscribed: number;
    bounced: number;
    complained: number;
    failed: number;
    suppressed: number;
    total: number;
  };
  topLinks: { url: string; clicks: number; uniqueClicks: number; machineClicks: number }[];
  /** Deliveries a person replied to and those answered automatically, when the task collects replies (lib/feedback/replies.ts); else null. */
  replies: { replied: number; autoReplied: number } | null;
};

/**
 * One task's funnel from its counters and its most clicked links. A task the caller may not read
 * is "not found", like one that does not exist, so ids of other departments say nothing.
 */
export async function taskReport(ctx: Ctx, taskId: string): Promise<TaskReport> {
  authorize(ctx.actor, "reports.view");
  if (!isUuid(taskId)) throw notFound("task");
  const [task] = await ctx.db
    .select({
      id: tasks.id,
      name: tasks.name,
      status: tasks.status,
      departmentId: tasks.departmentId,
      department: departments.name,
      createdAt: tasks.createdAt,
      startedAt: tasks.startedAt,
      finishedAt: tasks.finishedAt,
      sent: tasks.sent,
      delivered: tasks.delivered,
      opened: tasks.opened,
      clicked: tasks.clicked,
      unsubscribed: tasks.unsubscribed,
      bounced: tasks.bounced,
      complained: tasks.complained,
      failed: tasks.failed,
      suppressed: tasks.suppressed,
      total: tasks.total,
      replyTracking: tasks.replyTracking,
      replied: tasks.replied,
      autoReplied: tasks.autoReplied,
    })
    .from(tasks)
    .innerJoin(departments, eq(departments.id, tasks.departmentId))
    .where(and(eq(tasks.id, taskId), departmentScope(ctx.actor, tasks.departmentId)));
  if (!task) throw notFound("task");
  authorize(ctx.actor, "reports.view", { departmentId: task.departmentId });
  const topLinks = await ctx.db
    .select({ url: taskLinks.url, clicks: taskLinks.clicks, uniqueClicks: taskLinks.uniqueClicks, machineClicks: taskLinks.machineClicks })
    .from(taskLinks)
    .where(eq(taskLinks.taskId, task.id))
    .orderBy(desc(taskLinks.uniqueClicks), desc(taskLinks.clicks), asc(taskLinks.url))
    .limit(TOP_LINKS);
  return {
    task: {
      id: task.id,
      name: task.name,
      status: task.status,
      departmentId: task.departmentId,
      department: task.department,
      createdAt: task.createdAt.toISOString(),
      startedAt: task.startedAt?.toISOString() ?? null,
      finishedAt: task.finishedAt?.toISOString() ?? null,
    },
    funnel: {
      sent: task.sent,
      delivered: task.delivered,
      opened: task.opened,
      clicked: task.clicked,
      unsubscribed: task.unsubscribed,
      bounced: task.bounced,
      complained: task.complained,
      failed: task.failed,
      suppressed: task.suppressed,
      total: task.total,
    },
    topLinks,
    replies: task.replyTracking ? { replied: task.replied, autoReplied: task.autoReplied } : null,
  };
}
