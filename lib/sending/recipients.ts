import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import { toArray } from "@/db/sql";
import { suppressionMatches } from "@/lib/addresses/erased";
import { compileRule } from "@/lib/audiences/segments/compile";
import type { Rule } from "@/lib/audiences/segments/rule";

/**
 * Who a task sends to: a department's contacts, in some pools or in any (null), and those its
 * segments' rules hold (evaluated as each step runs: at materialisation time). A contact in
 * several is one candidate.
 */
export type Audience = { departmentId: string; poolIds: string[] | null; segments?: Rule[] };

/** Contacts of the audience that are recipients at all (a pending double opt-in is not). */
function audienceWhere(audience: Audience): SQL {
  const targets: SQL[] = (audience.segments ?? []).map((rule) => compileRule(rule, { departmentId: audience.departmentId }));
  if (audience.poolIds === null) targets.unshift(sql`true`);
  else if (audience.poolIds.length > 0) {
    targets.unshift(sql`exists (select 1 from pool_members pm where pm.contact_id = c.id and pm.pool_id = any(${toArray(audience.poolIds)}::uuid[]))`);
  }
  const inAudience = targets.length === 0 ? sql`false` : sql`(${sql.join(targets, sql` or `)})`;
  return sql`c.department_id = ${audience.departmentId} and c.status <> 'pending' and ${inAudience}`;
}

/** "suppressed" when the address is on the suppression list or the contact no longer receives mail. */
/** An erased address's key counts as the address (lib/addresses/erased.ts). */
const suppressedExpression = (audience: Audience) =>
  sql`(c.status <> 'active' or exists (select 1 from suppressions s where s.department_id = c.department_id and ${suppressionMatches(sql`s.email`, sql`c.email`, audience.departmentId)}))`;

/** How many the audience would receive now, and how many of it are suppressed. */
export async function countAudience(db: Executor, audience: Audience): Promise<{ sendable: number; suppressed: number }> {
  const [row] = await queryRows<{ sendable: string | number; suppressed: string | number }>(
    db,
    sql`select count(*) filter (where not ${suppressedExpression(audience)}) as sendable, count(*) filter (where ${suppressedExpression(audience)}) as suppressed
        from contacts c where ${audienceWhere(audience)}`,
  );
  return { sendable: Number(row?.sendable ?? 0), suppressed: Number(row?.suppressed ?? 0) };
}

export type Candidate = { id: number; email: string; suppressed: boolean };

/** The next contacts of the audience after `afterId`, in id order. */
export async function nextCandidates(db: Executor, audience: Audience, afterId: number, limit: number): Promise<Candidate[]> {
  const rows = await queryRows<{ id: string | number; email: string; suppressed: boolean }>(
    db,
    sql`select c.id, c.email, ${suppressedExpression(audience)} as suppressed from contacts c
        where ${audienceWhere(audience)} and c.id > ${afterId}
        order by c.id limit ${limit}`,
  );
  return rows.map((row) => ({ id: Number(row.id), email: row.email, suppressed: row.suppressed }));
}
