import "server-only";
import { and, asc, desc, eq, gte, lt, ne, sql } from "drizzle-orm";
import { channelSuppressions, deliveries, deliveryDailySender, deliveryEvents, tasks } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { departmentScope } from "@/lib/access/policy";
import { readEnv } from "@/lib/config/env";
import { REPORT_CHANNELS, rollupChannel, type ReportChannel } from "./channel-dimension";
import { rangeInstants, type ReportRange } from "./periods";
import { inRange } from "./queries";

/*
 * 按渠道: the period's figures per channel (decision 0090). Sends, receipts and opens or reads come
 * from the daily rollups (a few rows per department and day, whatever the number of deliveries);
 * opt-outs of the messaging channels from `channel_suppressions` (one row per number that said
 * "TD"), replies from the `replied` events (decision 0091, their own partial index), and the providers' reasons for failures from the failed deliveries of the
 * period's channel tasks only, so mail's millions of rows are never read.
 */

export type ChannelRow = {
  channel: ReportChannel;
  sent: number;
  delivered: number;
  failed: number;
  /** Opens by people for e-mail; read receipts for WhatsApp. */
  opened: number;
  /** Replies by SMS or WhatsApp (opt-out words included); null for e-mail. */
  replies: number | null;
  /** Unsubscribes for e-mail; numbers that opted out of the channel for the others. */
  optOuts: number;
};

export type FailureReason = { channel: ReportChannel; reason: string; failed: number };

export const TOP_REASONS = 5;

const total = (expression: unknown) => sql<number>`coalesce(sum(${expression}), 0)`.mapWith(Number);

/** Each channel with anything in the period (or the chosen one), in REPORT_CHANNELS order. */
export async function channelBreakdown(ctx: Ctx, range: ReportRange, channel?: ReportChannel | null): Promise<{ rows: ChannelRow[]; reasons: FailureReason[] }> {
  const where = inRange(ctx, range, channel);
  const r = deliveryDailySender;
  const [sums, optOuts, replies, reasons] = await Promise.all([
    ctx.db
      .select({ channel: rollupChannel, sent: total(r.sent), delivered: total(r.delivered), failed: total(r.failed), opened: total(r.opened), unsubscribed: total(r.unsubscribed) })
      .from(r)
      .where(where)
      .groupBy(rollupChannel),
    channelOptOuts(ctx, range, channel),
    channelReplies(ctx, range, channel),
    failureReasons(ctx, range, channel),
  ]);
  const rows: ChannelRow[] = [];
  for (const name of REPORT_CHANNELS) {
    if (channel && name !== channel) continue;
    const sum = sums.find((row) => row.channel === name);
    const outs = optOuts.filter((row) => row.channel === name);
    const row: ChannelRow = {
      channel: name,
      sent: sum?.sent ?? 0,
      delivered: sum?.delivered ?? 0,
      failed: sum?.failed ?? 0,
      opened: sum?.opened ?? 0,
      replies: name === "email" ? null : (replies.find((row) => row.channel === name)?.replies ?? 0),
      optOuts: name === "email" ? (sum?.unsubscribed ?? 0) : outs.reduce((n, out) => n + out.optOuts, 0),
    };
    if (row.sent || row.delivered || row.failed || row.opened || row.replies || row.optOuts) rows.push(row);
  }
  return { rows, reasons };
}

const instants = (range: ReportRange) => rangeInstants(range, readEnv().timeZone);

/** Opt-outs per messaging channel added in the range, by reply or by hand. */
async function channelOptOuts(ctx: Ctx, range: ReportRange, channel?: ReportChannel | null) {
  if (channel === "email") return [];
  const s = channelSuppressions;
  const { start, end } = instants(range);
  return ctx.db
    .select({
      channel: s.channel,
      optOuts: sql<number>`count(*)`.mapWith(Number),
    })
    .from(s)
    .where(and(departmentScope(ctx.actor, s.departmentId), eq(s.reason, "opted_out"), gte(s.createdAt, start), lt(s.createdAt, end), channel ? eq(s.channel, channel) : undefined))
    .groupBy(s.channel);
}

/** Replies per messaging channel that came in during the range (each stored on the message it answers). */
async function channelReplies(ctx: Ctx, range: ReportRange, channel?: ReportChannel | null) {
  if (channel === "email") return [];
  const e = deliveryEvents;
  const { start, end } = instants(range);
  const replyChannel = sql<string>`${e.detail}->>'channel'`;
  return ctx.db
    .select({ channel: replyChannel, replies: sql<number>`count(*)`.mapWith(Number) })
    .from(e)
    .where(and(eq(e.type, "replied"), departmentScope(ctx.actor, e.departmentId), gte(e.occurredAt, start), lt(e.occurredAt, end), channel ? sql`${replyChannel} = ${channel}` : undefined))
    .groupBy(replyChannel);
}

/**
 * The providers' most frequent reasons per messaging channel for messages that failed in the range:
 * the failed deliveries of the caller's channel tasks (by the task and status index), never mail's.
 */
async function failureReasons(ctx: Ctx, range: ReportRange, channel?: ReportChannel | null): Promise<FailureReason[]> {
  if (channel === "email") return [];
  const { start, end } = instants(range);
  const grouped = ctx.db
    .select({
      channel: sql<ReportChannel>`${tasks.channel}`.as("channel"),
      reason: sql<string>`coalesce(nullif(${deliveries.error}, ''), '')`.as("reason"),
      failed: sql<number>`count(*)`.as("failed"),
      rank: sql<number>`row_number() over (partition by ${tasks.channel} order by count(*) desc, coalesce(${deliveries.error}, ''))`.as("rank"),
    })
    .from(tasks)
    .innerJoin(deliveries, eq(deliveries.taskId, tasks.id))
    .where(
      and(
        departmentScope(ctx.actor, tasks.departmentId),
        channel ? eq(tasks.channel, channel) : ne(tasks.channel, "email"),
        eq(deliveries.status, "failed"),
        gte(deliveries.updatedAt, start),
        lt(deliveries.updatedAt, end),
      ),
    )
    .groupBy(tasks.channel, deliveries.error)
    .as("grouped");
  const rows = await ctx.db
    .select({ channel: grouped.channel, reason: grouped.reason, failed: grouped.failed })
    .from(grouped)
    .where(sql`${grouped.rank} <= ${TOP_REASONS}`)
    .orderBy(asc(grouped.channel), desc(grouped.failed), asc(grouped.reason));
  return rows.map((row) => ({ channel: row.channel, reason: row.reason, failed: Number(row.failed) }));
}
