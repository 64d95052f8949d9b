import "server-only";
import { sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import type { Ctx } from "@/lib/access/context";
import { authorize } from "@/lib/access/policy";
import { compileRule } from "./compile";
import type { Rule } from "./rule";

export type SampleContact = { id: number; email: string; name: string; status: string; attributes: Record<string, string> };

export const SAMPLE_SIZE = 10;

/** How many of the department's contacts the rule holds now. */
export async function countMatching(db: Executor, departmentId: string, rule: Rule, now?: Date): Promise<number> {
  const [row] = await queryRows<{ count: string | number }>(
    db,
    sql`select count(*) as count from contacts c where c.department_id = ${departmentId} and ${compileRule(rule, { departmentId, now })}`,
  );
  return Number(row?.count ?? 0);
}

/** The first `limit` contacts the rule holds, in id order (the order they arrived). */
export async function sampleMatching(db: Executor, departmentId: string, rule: Rule, limit = SAMPLE_SIZE, now?: Date): Promise<SampleContact[]> {
  const rows = await queryRows<{ id: string | number; email: string; name: string; status: string; attributes: Record<string, string> }>(
    db,
    sql`select c.id, c.email, c.name, c.status, c.attributes from contacts c
        where c.department_id = ${departmentId} and ${compileRule(rule, { departmentId, now })}
        order by c.id limit ${limit}`,
  );
  return rows.map((row) => ({ id: Number(row.id), email: row.email, name: row.name, status: row.status, attributes: row.attributes ?? {} }));
}

/** Count and sample of an unsaved rule, for the builder and `POST /api/v1/segments/count`: the caller's department only. */
export async function previewRule(ctx: Ctx, departmentId: string, rule: Rule, options: { sample?: number; now?: Date } = {}) {
  authorize(ctx.actor, "segments.manage", { departmentId });
  const [count, sample] = await Promise.all([
    countMatching(ctx.db, departmentId, rule, options.now),
    sampleMatching(ctx.db, departmentId, rule, options.sample ?? SAMPLE_SIZE, options.now),
  ]);
  return { count, sample };
}
