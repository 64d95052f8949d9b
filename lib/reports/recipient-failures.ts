import "server-only";
import { and, sql } from "drizzle-orm";
import { queryRows } from "@/db/client";
import { departments, deliveryDailyFailures, deliveryDailySender } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { authorize, departmentScope } from "@/lib/access/policy";
import { channelCondition, type ReportChannel } from "./channel-dimension";
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

/**
 * The rows of failures by recipient domain for the range, oldest day first, departments by name,
 * domains by name and the others last; of one channel when given (a messaging channel's failures
 * are keyed by the channel's name on both rollups, 0090).
 */
export async function recipientFailureRows(ctx: Ctx, range: ReportRange, channel?: ReportChannel | null): Promise<RecipientFailureRow[]> {
  authorize(ctx.actor, "reports.view");
  const s = deliveryDailySender;
  const f = deliveryDailyFailures;
  const daysScope = and(departmentScope(ctx.actor, s.departmentId), channelCondition(channel, s.senderDomain));
  const topScope = and(departmentScope(ctx.actor, f.departmentId), channelCondition(channel, f.recipientDomain));
  // One JSON value instead of a row per domain: at 90 days for an admin that is a couple of thousand
  // rows, and reading them field by field cost the Node side more than Postgres took to find them.
  const [result] = await queryRows<{ rows: RecipientFailureRow[] | string | null }>(
    ctx.db,
    sql`with days as (
          select ${s.day} as day, ${s.departmentId} as department_id, sum(${s.failed})::bigint as failed, sum(${s.userUnknown})::bigint as user_unknown,
                 sum(${s.mailboxFull})::bigint as mailbox_full, sum(${s.rejected})::bigint as rejected, sum(${s.other})::bigint as other
          from ${s}
          where ${s.day} between ${range.from} and ${range.to} and ${s.failed} > 0 ${daysScope ? sql`and ${daysScope}` : sql``}
          group by ${s.day}, ${s.departmentId}
        ),
        top as (
          select days.day, days.department_id, t.domain, t.failed, t.user_unknown, t.mailbox_full, t.rejected, t.other
          from days cross join lateral (
            select ${f.recipientDomain} as domain, ${f.failed} as failed, ${f.userUnknown} as user_unknown, ${f.mailboxFull} as mailbox_full,
                   ${f.rejected} as rejected, ${f.other} as other
            from ${f}
            where ${f.day} = days.day and ${f.departmentId} = days.department_id and ${f.failed} > 0 ${topScope ? sql`and ${topScope}` : sql``}
            order by ${f.failed} desc, ${f.recipientDomain}
            limit ${TOP_RECIPIENT_DOMAINS}
          ) t
        ),
        others as (
          select days.day, days.department_id, ${OTHER_DOMAINS}::text as domain, days.failed - sum(top.failed)::bigint as failed,
                 days.user_unknown - sum(top.user_unknown)::bigint as user_unknown, days.mailbox_full - sum(top.mailbox_full)::bigint as mailbox_full,
                 days.rejected - sum(top.rejected)::bigint as rejected, days.other - sum(top.other)::bigint as other
          from days join top on top.day = days.day and top.department_id = days.department_id
          group by days.day, days.department_id, days.failed, days.user_unknown, days.mailbox_full, days.rejected, days.other
          having days.failed > sum(top.failed)
        ),
        shown as (select *, false as others from top union all select *, true as others from others),
        -- Departments ranked by name once: comparing names in the collation for every row was most of the sort.
        named as (select d.id, d.name, row_number() over (order by d.name, d.id) as place from ${departments} d where d.id in (select department_id from days))
        select json_agg(json_build_object('date', shown.day, 'departmentId', shown.department_id, 'department', named.name, 'domain', shown.domain,
                                          'failed', shown.failed, 'user_unknown', shown.user_unknown, 'mailbox_full', shown.mailbox_full,
                                          'rejected', shown.rejected, 'other', shown.other, 'others', shown.others)
                        order by shown.day, named.place, shown.others, shown.domain) as rows
        from shown join named on named.id = shown.department_id`,
  );
  const rows = typeof result?.rows === "string" ? (JSON.parse(result.rows) as RecipientFailureRow[]) : (result?.rows ?? []);
  for (const row of rows) if (!row.others) delete row.others;
  return rows;
}
