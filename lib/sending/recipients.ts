import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import { toArray } from "@/db/sql";
import { suppressionMatches } from "@/lib/addresses/erased";
import { compileRule } from "@/lib/audiences/segments/compile";
import type { Rule } from "@/lib/audiences/segments/rule";
import type { TaskChannel } from "@/db/schema";

/**
 * Who a task sends to: a department's contacts, in some pools or in any (null), and those its
 * segments' rules hold (evaluated as each step runs: at materialisation time). A contact in
 * several is one candidate.
 */
export type Audience = {
  departmentId: string;
  poolIds: string[] | null;
  segments?: Rule[];
  channel?: TaskChannel;
  /** A condition on the contact `c` narrowing the audience further (an A/B test's share, or the rest: lib/sending/ab-test.ts). */
  sample?: SQL;
};

/** Contacts of the audience that are recipients at all (a pending double opt-in is not). */
function audienceWhere(audience: Audience): SQL {
  const targets: SQL[] = (audience.segments ?? []).map((rule) => compileRule(rule, { departmentId: audience.departmentId }));
  if (audience.poolIds === null) targets.unshift(sql`true`);
  else if (audience.poolIds.length > 0) {
    targets.unshift(sql`exists (select 1 from pool_members pm where pm.contact_id = c.id and pm.pool_id = any(${toArray(audience.poolIds)}::uuid[]))`);
  }
  const inAudience = targets.length === 0 ? sql`false` : sql`(${sql.join(targets, sql` or `)})`;
  return sql`c.department_id = ${audience.departmentId} and c.status <> 'pending' and ${inAudience}${audience.sample ? sql` and ${audience.sample}` : sql``}`;
}

/**
 * Who of the audience the channel can reach at all: on e-mail everyone; on SMS only a contact with
 * a phone number who consented to SMS. The others are not recipients (not even suppressed ones).
 */
function reachableWhere(audience: Audience): SQL {
  const channel = audience.channel ?? "email";
  if (channel === "email") return sql`true`;
  if (channel === "sms" || channel === "whatsapp") return sql`(c.phone is not null and ${channel} = any(c.channel_consent))`;
  return sql`(c.wecom_user_id is not null and ${channel} = any(c.channel_consent))`;
}

/** Where the channel reaches the contact: the e-mail address, the number, the WeCom id. */
function addressExpression(audience: Audience): SQL {
  const channel = audience.channel ?? "email";
  return channel === "email" ? sql`c.email` : channel === "wecom" ? sql`c.wecom_user_id` : sql`c.phone`;
}

/**
 * "suppressed" when the address is on the channel's suppression list, and for e-mail also when the
 * contact no longer receives mail (its status: an unsubscribe, bounce or complaint is mail's).
 * An erased address's key counts as the address (lib/addresses/erased.ts). Each channel has its
 * own list: an e-mail suppression does not stop an SMS, nor an SMS opt-out an e-mail.
 */
const suppressedExpression = (audience: Audience) => {
  const channel = audience.channel ?? "email";
  if (channel === "email") {
    return sql`(c.status <> 'active' or exists (select 1 from suppressions s where s.department_id = c.department_id and ${suppressionMatches(sql`s.email`, sql`c.email`, audience.departmentId)}))`;
  }
  return sql`exists (select 1 from channel_suppressions cs where cs.department_id = c.department_id and cs.channel = ${channel} and cs.address = ${addressExpression(audience)})`;
};

/** How many of the audience the channel reaches would receive now, and how many of them are suppressed. */
export async function countAudience(db: Executor, audience: Audience): Promise<{ sendable: number; suppressed: number }> {
  const [row] = await queryRows<{ sendable: string | number; suppressed: string | number }>(
    db,
    sql`select count(*) filter (where not ${suppressedExpression(audience)}) as sendable, count(*) filter (where ${suppressedExpression(audience)}) as suppressed
        from contacts c where ${audienceWhere(audience)} and ${reachableWhere(audience)}`,
  );
  return { sendable: Number(row?.sendable ?? 0), suppressed: Number(row?.suppressed ?? 0) };
}

/** How many of the audience the channel cannot reach at all (on SMS: no phone, or no SMS consent); 0 on e-mail. */
export async function countUnreachable(db: Executor, audience: Audience): Promise<number> {
  if ((audience.channel ?? "email") === "email") return 0;
  const [row] = await queryRows<{ unreachable: string | number }>(db, sql`select count(*) as unreachable from contacts c where ${audienceWhere(audience)} and not ${reachableWhere(audience)}`);
  return Number(row?.unreachable ?? 0);
}

/** `address`: where the channel reaches the contact (the e-mail address on e-mail, the E.164 number on SMS). */
export type Candidate = { id: number; email: string; address: string; name: string | null; attributes: Record<string, string> | null; suppressed: boolean };

/**
 * The statement of the next contacts of the audience the channel reaches after `afterId`, in id
 * order: id, email, address, name, attributes (those two only where a channel's text is rendered
 * from them: mail's rows need neither), suppressed. Read by nextCandidates, and written straight
 * into deliveries by a mail task's materialisation.
 */
export function candidatesQuery(audience: Audience, afterId: number, limit: number): SQL {
  const rendered = (audience.channel ?? "email") === "email" ? sql`null::text as name, null::jsonb as attributes` : sql`c.name, c.attributes`;
  return sql`select c.id, c.email, ${addressExpression(audience)} as address, ${rendered}, ${suppressedExpression(audience)} as suppressed from contacts c
      where ${audienceWhere(audience)} and ${reachableWhere(audience)} and c.id > ${afterId}
      order by c.id limit ${limit}`;
}

/** The next contacts of the audience the channel reaches after `afterId`, in id order. */
export async function nextCandidates(db: Executor, audience: Audience, afterId: number, limit: number): Promise<Candidate[]> {
  const rows = await queryRows<{ id: string | number; email: string; address: string; name: string | null; attributes: Record<string, string> | null; suppressed: boolean }>(
    db,
    candidatesQuery(audience, afterId, limit),
  );
  return rows.map((row) => ({ id: Number(row.id), email: row.email, address: row.address, name: row.name, attributes: row.attributes, suppressed: row.suppressed }));
}
