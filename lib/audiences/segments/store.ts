import "server-only";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import { departments, segments } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { authorize, departmentScope, resolveTargetDepartment } from "@/lib/access/policy";
import { recordAudit, updateAudited } from "@/lib/audit/record";
import { conflict, invalidInput, notFound } from "@/lib/errors";
import { isUuid } from "@/lib/ids";
import { countMatching } from "./evaluate";
import { ruleSchema, type Rule } from "./rule";

export type SegmentView = { id: string; departmentId: string; name: string; description: string; rule: Rule; createdBy: string; createdAt: Date; updatedAt: Date };

const columns = {
  id: segments.id,
  departmentId: segments.departmentId,
  name: segments.name,
  description: segments.description,
  rule: segments.rule,
  createdBy: segments.createdBy,
  createdAt: segments.createdAt,
  updatedAt: segments.updatedAt,
};

/** A rule as sent (JSON), checked; refused with the first problem and where it is. */
export function parseRule(input: unknown): Rule {
  const parsed = ruleSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  throw invalidInput("segmentRuleInvalid", { field: "rule", params: { problem: `${where}${issue.message}` } });
}

function view(row: Omit<SegmentView, "rule"> & { rule: unknown }): SegmentView {
  // Stored rules were checked when saved; an unreadable one (a later, stricter schema) holds no one.
  const parsed = ruleSchema.safeParse(row.rule);
  return { ...row, rule: parsed.success ? parsed.data : { match: "any", conditions: [] } };
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 200) throw invalidInput("segmentNameInvalid", { field: "name" });
  return trimmed;
}

/** A segment the caller may manage: 404 when it does not exist, 403 when it is another department's. */
export async function loadSegment({ db, actor }: Ctx, id: string, options: { forUpdate?: boolean } = {}): Promise<SegmentView> {
  if (!isUuid(id)) throw notFound("segment");
  const query = db.select(columns).from(segments).where(eq(segments.id, id));
  const [row] = options.forUpdate ? await query.for("update") : await query;
  if (!row) throw notFound("segment");
  authorize(actor, "segments.manage", { departmentId: row.departmentId });
  return view(row);
}

/** The caller's segments (an admin's: every department's, or one), by department and name; with `counts`, each one's contacts now. */
export async function listSegments(ctx: Ctx, options: { departmentId?: string; counts?: boolean; offset?: number; limit?: number } = {}) {
  authorize(ctx.actor, "segments.manage", options.departmentId ? { departmentId: options.departmentId } : undefined);
  const rows = await ctx.db
    .select({ ...columns, departmentName: departments.name })
    .from(segments)
    .innerJoin(departments, eq(departments.id, segments.departmentId))
    .where(and(departmentScope(ctx.actor, segments.departmentId), options.departmentId ? eq(segments.departmentId, options.departmentId) : undefined))
    .orderBy(asc(departments.name), asc(sql`lower(${segments.name})`), asc(segments.id))
    .offset(options.offset ?? 0)
    .limit(options.limit ?? 500);
  const list = rows.map((row) => ({ ...view(row), departmentName: row.departmentName, count: null as number | null }));
  if (options.counts) for (const segment of list) segment.count = await countMatching(ctx.db, segment.departmentId, segment.rule);
  return list;
}

async function assertNameFree(db: Executor, departmentId: string, name: string, exceptId?: string) {
  const [existing] = await db
    .select({ id: segments.id })
    .from(segments)
    .where(and(eq(segments.departmentId, departmentId), sql`lower(${segments.name}) = lower(${name})`, exceptId ? sql`${segments.id} <> ${exceptId}` : undefined));
  if (existing) throw conflict("segmentNameTaken", { field: "name", params: { name } });
}

export type SegmentInput = { name: string; description?: string; rule: unknown; departmentId?: string | null };

export async function createSegment(ctx: Ctx, input: SegmentInput): Promise<SegmentView> {
  const departmentId = resolveTargetDepartment(ctx.actor, input.departmentId);
  authorize(ctx.actor, "segments.manage", { departmentId });
  const name = checkName(input.name);
  const rule = parseRule(input.rule);
  return ctx.db.transaction(async (tx) => {
    const [department] = await tx.select({ id: departments.id }).from(departments).where(eq(departments.id, departmentId));
    if (!department) throw invalidInput("noDepartment", { field: "departmentId" });
    await assertNameFree(tx, departmentId, name);
    const [created] = await tx
      .insert(segments)
      .values({ departmentId, name, description: (input.description ?? "").trim(), rule, createdBy: ctx.actor.label })
      .returning(columns);
    const count = await countMatching(tx, departmentId, rule);
    await recordAudit(tx, ctx.actor, { action: "segment.create", objectType: "segment", objectId: created!.id, departmentId, summary: { key: "segment.create", params: { name, count } } });
    return view(created!);
  });
}

export async function updateSegment(ctx: Ctx, id: string, input: Partial<Omit<SegmentInput, "departmentId">>): Promise<SegmentView> {
  return ctx.db.transaction(async (tx) => {
    const segment = await loadSegment({ ...ctx, db: tx }, id, { forUpdate: true });
    const name = input.name === undefined ? segment.name : checkName(input.name);
    const rule = input.rule === undefined ? segment.rule : parseRule(input.rule);
    const description = input.description === undefined ? segment.description : input.description.trim();
    await assertNameFree(tx, segment.departmentId, name, id);
    const count = await countMatching(tx, segment.departmentId, rule);
    await updateAudited(tx, ctx.actor, segments, segment, { name, description, rule, updatedAt: new Date() }, {
      action: "segment.update",
      objectType: "segment",
      summary: { key: name === segment.name ? "segment.update" : "segment.rename", params: { name, oldName: segment.name, count } },
    });
    return { ...segment, name, description, rule, updatedAt: new Date() };
  });
}

/** Deletes a segment that no task still to be materialised targets. */
export async function deleteSegment(ctx: Ctx, id: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const segment = await loadSegment({ ...ctx, db: tx }, id, { forUpdate: true });
    const waiting = await queryRows<{ name: string }>(
      tx,
      sql`select name from tasks where department_id = ${segment.departmentId} and materialize_cursor is not null
            and status in ('scheduled', 'sending', 'paused') and segment_ids @> ${JSON.stringify([id])}::jsonb order by created_at limit 3`,
    );
    if (waiting.length > 0) throw conflict("segmentInUse", { params: { segment: segment.name, tasks: waiting.map((task) => `"${task.name}"`).join(", ") } });
    await tx.delete(segments).where(eq(segments.id, id));
    await recordAudit(tx, ctx.actor, { action: "segment.delete", objectType: "segment", objectId: id, departmentId: segment.departmentId, summary: { key: "segment.delete", params: { name: segment.name } } });
  });
}

/**
 * The named segments of one department, in the order asked, for a task: refused (field
 * `segmentIds`) when one is malformed or not the department's, which is also how another
 * department's id is answered, so nothing tells the two apart.
 */
export async function segmentsOfDepartment(db: Executor, departmentId: string, ids: readonly string[]): Promise<SegmentView[]> {
  const unique = [...new Set(ids)];
  const bad = unique.find((id) => !isUuid(id));
  if (bad) throw invalidInput("segmentMissing", { field: "segmentIds", params: { id: bad } });
  if (unique.length === 0) return [];
  const rows = await db.select(columns).from(segments).where(and(inArray(segments.id, unique), eq(segments.departmentId, departmentId)));
  const missing = unique.find((id) => !rows.some((row) => row.id === id));
  if (missing) throw invalidInput("segmentMissing", { field: "segmentIds", params: { id: missing } });
  return unique.map((id) => view(rows.find((row) => row.id === id)!));
}

/** What a task's materialisation evaluates: the department's segments among `ids` (one deleted since holds no one) and each one's count now. */
export async function segmentsToMaterialize(db: Executor, departmentId: string, ids: readonly string[], options: { count: boolean }) {
  const wanted = ids.filter(isUuid);
  if (wanted.length === 0) return { rules: [] as Rule[], counts: null };
  const rows = await db.select(columns).from(segments).where(and(inArray(segments.id, wanted), eq(segments.departmentId, departmentId)));
  const found = rows.map(view);
  if (!options.count) return { rules: found.map((segment) => segment.rule), counts: null };
  const counts: Record<string, number> = {};
  for (const segment of found) counts[segment.id] = await countMatching(db, departmentId, segment.rule);
  return { rules: found.map((segment) => segment.rule), counts };
}
