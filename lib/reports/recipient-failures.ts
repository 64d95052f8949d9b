import "server-only";
import { and, asc, between, desc, eq, gt, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { departments, deliveryDailyFailures, deliveryDailySender } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { authorize, departmentScope } from "@/lib/access/policy";
import type { ReportRange } from "./periods";

/**
 * Failures by recipient domain: per day and department, the TOP_RECIPIENT_DOMAINS domains with
 * the most failures, and the rest summed in one "others" row. A department mails thousands of
 * domains a day, and a row for each made a 90-day report hundreds of thousands of rows (433 ms at
 * 10M deliveries before anything was shown). Each day and department's top domains are read from
 * `delivery_daily_failures` by its (day, department, failed desc) index, so the report costs
 * O(days × departments × top domains); the others are that day and department's failures in
 * `delivery_daily_sender` (written in the same transaction, so the two always agree) less the top
 * rows. Every number is exact: a domain shown has all its failures, the others row all the rest.
 */

export const TOP_RECIPIENT_DOMAINS = 10;
/** The domain of the row that sums the domains past the top ones: no recipient domain is "*". */
export const OTHER_DOMAINS = "*";

export type RecipientFailureRow = {
  date: string;
  departmentId: string;
  department: string;
  domain: string;
  failed: number;
  user_unknown: number;
  mailbox_full: number;
  rejected: number;
  other: number;
  /** Present (true) on the row that sums the day and department's domains past the top ones. */
  others?: true;
};

const CATEGORIES = ["failed", "user_unknown", "mailbox_full", "rejected", "other"] as const;
type Counts = Record<(typeof CATEGORIES)[number], number>;

const total = (column: AnyPgColumn) => sql<number>`coalesce(sum(${column}), 0)`.mapWith(Number);

/** The rows of failures by recipient domain for the range, oldest day first, departments by name, domains by name and the others last. */
export async function recipientFailureRows(ctx: Ctx, range: ReportRange): Promise<RecipientFailureRow[]> {
  authorize(ctx.actor, "reports.view");
  const s = deliveryDailySender;
  const f = deliveryDailyFailures;
  const days = ctx.db
    .select({
      day: s.day,
      departmentId: s.departmentId,
      dayFailed: total(s.failed).as("day_failed"),
      dayUserUnknown: total(s.userUnknown).as("day_user_unknown"),
      dayMailboxFull: total(s.mailboxFull).as("day_mailbox_full"),
      dayRejected: total(s.rejected).as("day_rejected"),
      dayOther: total(s.other).as("day_other"),
    })
    .from(s)
    .where(and(between(s.day, range.from, range.to), departmentScope(ctx.actor, s.departmentId), gt(s.failed, 0)))
    .groupBy(s.day, s.departmentId)
    .as("days");
  const top = ctx.db
    .select({ domain: f.recipientDomain, failed: f.failed, userUnknown: f.userUnknown, mailboxFull: f.mailboxFull, rejected: f.rejected, other: f.other })
    .from(f)
    .where(and(eq(f.day, days.day), eq(f.departmentId, days.departmentId), departmentScope(ctx.actor, f.departmentId), gt(f.failed, 0)))
    .orderBy(desc(f.failed), asc(f.recipientDomain))
    .limit(TOP_RECIPIENT_DOMAINS)
    .as("top");
  const found = await ctx.db
    .select({
      date: days.day,
      departmentId: days.departmentId,
      department: departments.name,
      dayFailed: days.dayFailed,
      dayUserUnknown: days.dayUserUnknown,
      dayMailboxFull: days.dayMailboxFull,
      dayRejected: days.dayRejected,
      dayOther: days.dayOther,
      domain: top.domain,
      failed: top.failed,
      userUnknown: top.userUnknown,
      mailboxFull: top.mailboxFull,
      rejected: top.rejected,
      other: top.other,
    })
    .from(days)
    .innerJoin(departments, eq(departments.id, days.departmentId))
    .crossJoinLateral(top)
    .orderBy(asc(days.day), asc(departments.name), asc(days.departmentId), asc(top.domain));

  const rows: RecipientFailureRow[] = [];
  const flushOthers = (last: (typeof found)[number] | undefined, shown: Counts) => {
    if (!last) return;
    const others: Counts = {
      failed: Number(last.dayFailed) - shown.failed,
      user_unknown: Number(last.dayUserUnknown) - shown.user_unknown,
      mailbox_full: Number(last.dayMailboxFull) - shown.mailbox_full,
      rejected: Number(last.dayRejected) - shown.rejected,
      other: Number(last.dayOther) - shown.other,
    };
    if (others.failed > 0) rows.push({ date: last.date, departmentId: last.departmentId, department: last.department, domain: OTHER_DOMAINS, ...others, others: true });
  };
  let shown: Counts = { failed: 0, user_unknown: 0, mailbox_full: 0, rejected: 0, other: 0 };
  let previous: (typeof found)[number] | undefined;
  for (const row of found) {
    if (previous && (previous.date !== row.date || previous.departmentId !== row.departmentId)) {
      flushOthers(previous, shown);
      shown = { failed: 0, user_unknown: 0, mailbox_full: 0, rejected: 0, other: 0 };
    }
    const counts: Counts = { failed: row.failed, user_unknown: row.userUnknown, mailbox_full: row.mailboxFull, rejected: row.rejected, other: row.other };
    for (const category of CATEGORIES) shown[category] += counts[category];
    rows.push({ date: row.date, departmentId: row.departmentId, department: row.department, domain: row.domain, ...counts });
    previous = row;
  }
  flushOthers(previous, shown);
  return rows;
}
