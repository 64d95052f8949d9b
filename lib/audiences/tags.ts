import "server-only";
import { and, asc, eq, sql } from "drizzle-orm";
import { contactTags, departments, tags } from "@/db/schema";
import { authorize, departmentScope, resolveTargetDepartment } from "@/lib/access/policy";
import type { Ctx } from "@/lib/access/context";
import { recordAudit } from "@/lib/audit/record";
import { conflict, invalidInput, notFound } from "@/lib/errors";
import { isUuid } from "@/lib/ids";
import type { Executor } from "@/db/client";
import { checkTagName } from "@/lib/pools/tag-names";

/** 标签: a department's tag vocabulary, listed with how many contacts carry each, created, renamed and deleted (decision 0077). */

export type TagView = { id: string; departmentId: string; departmentName: string; name: string; contacts: number; createdAt: Date };

const MAX_LISTED = 1_000;

/** The department's tags (or, for an admin without one named, every department's), by name, with their contact counts; a page of them when asked. */
export async function listTags({ db, actor }: Ctx, options: { departmentId?: string; offset?: number; limit?: number } = {}): Promise<TagView[]> {
  authorize(actor, "pools.manage", options.departmentId ? { departmentId: options.departmentId } : undefined);
  const rows = await db
    .select({
      id: tags.id,
      departmentId: tags.departmentId,
      departmentName: departments.name,
      name: tags.name,
      contacts: sql<number>`(select count(*) from ${contactTags} where ${contactTags.tagId} = ${tags.id})::int`,
      createdAt: tags.createdAt,
    })
    .from(tags)
    .innerJoin(departments, eq(departments.id, tags.departmentId))
    .where(and(departmentScope(actor, tags.departmentId), options.departmentId ? eq(tags.departmentId, options.departmentId) : undefined))
    .orderBy(asc(departments.name), asc(sql`lower(${tags.name})`), asc(tags.id))
    .offset(options.offset ?? 0)
    .limit(Math.min(options.limit ?? MAX_LISTED, MAX_LISTED));
  return rows.map((row) => ({ ...row, contacts: Number(row.contacts) }));
}

/** Just the department's tag names, by name: the contacts page's filter (no counts to make). */
export async function listTagNames({ db, actor }: Ctx, departmentId: string): Promise<string[]> {
  authorize(actor, "pools.manage", { departmentId });
  const rows = await db.select({ name: tags.name }).from(tags).where(eq(tags.departmentId, departmentId)).orderBy(asc(sql`lower(${tags.name})`)).limit(MAX_LISTED);
  return rows.map((row) => row.name);
}

function checkedName(raw: string): string {
  const checked = checkTagName(raw);
  if (!checked.ok) throw invalidInput(checked.reason, { field: "name", params: checked.params });
  return checked.name;
}

/** Loads a tag the caller may manage: 404 when it does not exist, 403 when it is another department's. */
export async function loadTag({ db, actor }: Ctx, id: string, options: { forUpdate?: boolean } = {}) {
  if (!isUuid(id)) throw notFound("tag");
  const query = db.select({ id: tags.id, departmentId: tags.departmentId, name: tags.name, createdAt: tags.createdAt }).from(tags).where(eq(tags.id, id));
  const [tag] = options.forUpdate ? await query.for("update") : await query;
  if (!tag) throw notFound("tag");
  authorize(actor, "pools.manage", { departmentId: tag.departmentId });
  return tag;
}

async function assertNameFree(db: Executor, departmentId: string, name: string, exceptId?: string) {
  const [taken] = await db
    .select({ name: tags.name })
    .from(tags)
    .where(and(eq(tags.departmentId, departmentId), sql`lower(${tags.name}) = lower(${name})`, exceptId ? sql`${tags.id} <> ${exceptId}` : undefined));
  if (taken) throw conflict("tagNameTaken", { field: "name", params: { name: taken.name } });
}

/** How many contacts carry the tag. */
async function carriers(db: Executor, tagId: string): Promise<number> {
  const [count] = await db.select({ n: sql<number>`count(*)::int` }).from(contactTags).where(eq(contactTags.tagId, tagId));
  return Number(count?.n ?? 0);
}

/** A new tag; its name must differ, whatever the case, from every other tag of the department (409). */
export async function createTag(ctx: Ctx, input: { name: string; departmentId?: string | null }) {
  const departmentId = resolveTargetDepartment(ctx.actor, input.departmentId);
  authorize(ctx.actor, "pools.manage", { departmentId });
  const name = checkedName(input.name);
  return ctx.db.transaction(async (tx) => {
    const [department] = await tx.select({ id: departments.id }).from(departments).where(eq(departments.id, departmentId));
    if (!department) throw invalidInput("noDepartment", { field: "departmentId" });
    await assertNameFree(tx, departmentId, name);
    const [tag] = await tx.insert(tags).values({ departmentId, name }).returning();
    await recordAudit(tx, ctx.actor, { action: "tag.create", objectType: "tag", objectId: tag!.id, departmentId, summary: { key: "tag.create", params: { name } } });
    return { id: tag!.id, departmentId, name, contacts: 0, createdAt: tag!.createdAt };
  });
}

/** Renames a tag (a change of case alone is a rename too); contacts keep it. */
export async function renameTag(ctx: Ctx, id: string, input: { name: string }) {
  const name = checkedName(input.name);
  return ctx.db.transaction(async (tx) => {
    const tag = await loadTag({ ...ctx, db: tx }, id, { forUpdate: true });
    await assertNameFree(tx, tag.departmentId, name, tag.id);
    await tx.update(tags).set({ name }).where(eq(tags.id, tag.id));
    await recordAudit(tx, ctx.actor, {
      action: "tag.update",
      objectType: "tag",
      objectId: tag.id,
      departmentId: tag.departmentId,
      summary: { key: "tag.rename", params: { oldName: tag.name, name } },
      details: { before: { name: tag.name }, after: { name } },
    });
    return { id: tag.id, departmentId: tag.departmentId, name, contacts: await carriers(tx, tag.id), createdAt: tag.createdAt };
  });
}

/** Deletes a tag and takes it off every contact (the foreign key's cascade); answers how many carried it. */
export async function deleteTag(ctx: Ctx, id: string) {
  return ctx.db.transaction(async (tx) => {
    const tag = await loadTag({ ...ctx, db: tx }, id, { forUpdate: true });
    const contacts = await carriers(tx, tag.id);
    await tx.delete(tags).where(eq(tags.id, tag.id));
    await recordAudit(tx, ctx.actor, {
      action: "tag.delete",
      objectType: "tag",
      objectId: tag.id,
      departmentId: tag.departmentId,
      summary: { key: "tag.delete", params: { name: tag.name, count: contacts } },
    });
    return { id: tag.id, name: tag.name, contacts };
  });
}
