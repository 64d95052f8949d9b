import "server-only";
import { and, asc, eq, sql } from "drizzle-orm";
import { affectedRows as rowCount, queryRows, type Executor } from "@/db/client";
import { contacts, departments, poolMembers, pools } from "@/db/schema";
import { authorize, departmentScope, resolveTargetDepartment } from "@/lib/access/policy";
import { recordAudit, updateAudited } from "@/lib/audit/record";
import type { Ctx } from "@/lib/access/context";
import { conflict, invalidInput, notFound } from "@/lib/errors";
import { isUuid } from "@/lib/ids";

export const poolColumns = {
  id: pools.id,
  departmentId: pools.departmentId,
  name: pools.name,
  description: pools.description,
  contactCount: pools.contactCount,
  createdAt: pools.createdAt,
};

export type PoolView = { id: string; departmentId: string; name: string; description: string; contactCount: number; createdAt: Date };

/** Loads a pool the caller may manage: 404 when it does not exist, 403 when it is another department's. */
export async function loadPool({ db, actor }: Ctx, id: string, options: { forUpdate?: boolean } = {}): Promise<PoolView> {
  if (!isUuid(id)) throw notFound("pool");
  const query = db.select(poolColumns).from(pools).where(eq(pools.id, id));
  const [pool] = options.forUpdate ? await query.for("update") : await query;
  if (!pool) throw notFound("pool");
  authorize(actor, "pools.manage", { departmentId: pool.departmentId });
  return pool;
}

export async function listPools({ db, actor }: Ctx) {
  authorize(actor, "pools.manage");
  return db
    .select({ ...poolColumns, departmentName: departments.name })
    .from(pools)
    .innerJoin(departments, eq(departments.id, pools.departmentId))
    .where(departmentScope(actor, pools.departmentId))
    .orderBy(asc(departments.name), asc(sql`lower(${pools.name})`))
    .limit(1000);
}

/** Contacts of each visible department that belong to no pool (the "Uncategorised" bucket). */
export async function uncategorisedCounts({ db, actor }: Ctx) {
  authorize(actor, "pools.manage");
  return db
    .select({ departmentId: departments.id, departmentName: departments.name, count: sql<number>`count(${contacts.id})::int` })
    .from(departments)
    .leftJoin(
      contacts,
      and(
        eq(contacts.departmentId, departments.id),
        sql`not exists (select 1 from ${poolMembers} where ${poolMembers.contactId} = ${contacts.id})`,
      ),
    )
    .where(departmentScope(actor, departments.id))
    .groupBy(departments.id, departments.name)
    .orderBy(asc(departments.name));
}

async function assertNameFree(db: Executor, departmentId: string, name: string, exceptId?: string) {
  const [existing] = await db
    .select({ id: pools.id })
    .from(pools)
    .where(
      and(
        eq(pools.departmentId, departmentId),
        sql`lower(${pools.name}) = lower(${name})`,
        exceptId ? sql`${pools.id} <> ${exceptId}` : undefined,
      ),
    );
  if (existing) throw conflict("poolNameTaken", { field: "name", params: { name } });
}

export async function createPool(ctx: Ctx, input: { name: string; description?: string; departmentId?: string | null }) {
  const departmentId = resolveTargetDepartment(ctx.actor, input.departmentId);
  authorize(ctx.actor, "pools.manage", { departmentId });
  return ctx.db.transaction(async (tx) => {
    const [department] = await tx.select({ id: departments.id }).from(departments).where(eq(departments.id, departmentId));
    if (!department) throw invalidInput("noDepartment", { field: "departmentId" });
    await assertNameFree(tx, departmentId, input.name);
    const [created] = await tx
      .insert(pools)
      .values({ departmentId, name: input.name, description: input.description ?? "" })
      .returning(poolColumns);
    await recordAudit(tx, ctx.actor, {
      action: "pool.create",
      objectType: "pool",
      objectId: created!.id,
      departmentId,
      summary: { key: "pool.create", params: { name: input.name } },
    });
    return created!;
  });
}

export async function updatePool(ctx: Ctx, id: string, input: { name: string; description?: string }) {
  return ctx.db.transaction(async (tx) => {
    const pool = await loadPool({ ...ctx, db: tx }, id, { forUpdate: true });
    await assertNameFree(tx, pool.departmentId, input.name, id);
    await updateAudited(tx, ctx.actor, pools, pool, { name: input.name, description: input.description ?? pool.description, updatedAt: new Date() }, {
      action: "pool.update",
      objectType: "pool",
      summary: { key: pool.name === input.name ? "pool.update" : "pool.rename", params: { name: input.name, oldName: pool.name } },
    });
  });
}

/** Deletes the pool; its contacts stay in the department (in other pools or Uncategorised). */
export async function deletePool(ctx: Ctx, id: string) {
  return ctx.db.transaction(async (tx) => {
    const pool = await loadPool({ ...ctx, db: tx }, id, { forUpdate: true });
    const waiting = await queryRows<{ name: string }>(
      tx,
      sql`select name from tasks where department_id = ${pool.departmentId} and materialize_cursor is not null
            and status in ('scheduled', 'sending', 'paused') and pool_ids @> ${JSON.stringify([id])}::jsonb order by created_at limit 3`,
    );
    if (waiting.length > 0) {
      throw conflict("poolInUse", { params: { pool: pool.name, tasks: waiting.map((task) => `"${task.name}"`).join(", ") } });
    }
    await tx.execute(sql`delete from ${poolMembers} where pool_id = ${id}`);
    await tx.delete(pools).where(eq(pools.id, id));
    await recordAudit(tx, ctx.actor, {
      action: "pool.delete",
      objectType: "pool",
      objectId: id,
      departmentId: pool.departmentId,
      summary: { key: "pool.delete", params: { name: pool.name, count: pool.contactCount } },
    });
  });
}

/** 清除地址: empties the pool; the contacts stay in the department. */
export async function clearPool(ctx: Ctx, id: string) {
  return ctx.db.transaction(async (tx) => {
    const pool = await loadPool({ ...ctx, db: tx }, id, { forUpdate: true });
    const removed = rowCount(await tx.execute(sql`delete from ${poolMembers} where pool_id = ${id}`));
    await updateAudited(tx, ctx.actor, pools, pool, { contactCount: 0, updatedAt: new Date() }, {
      action: "pool.clear",
      objectType: "pool",
      summary: { key: "pool.clear", params: { name: pool.name, count: removed } },
    });
    return { removed };
  });
}

/** Deletes a department's contacts that are in no pool. */
export async function clearUncategorised(ctx: Ctx, departmentId: string) {
  authorize(ctx.actor, "pools.manage", { departmentId });
  return ctx.db.transaction(async (tx) => {
    const removed = rowCount(
      await tx.execute(sql`
        delete from ${contacts} where department_id = ${departmentId}
        and not exists (select 1 from ${poolMembers} where ${poolMembers.contactId} = ${contacts.id})`),
    );
    await recordAudit(tx, ctx.actor, {
      action: "pool.clear",
      objectType: "pool",
      objectId: "uncategorised",
      departmentId,
      summary: { key: "pool.clearUncategorised", params: { count: removed } },
    });
    return { removed };
  });
}

/** Copies (or moves) every contact of one pool into another pool of the same department. */
export async function transferContacts(ctx: Ctx, input: { fromPoolId: string; toPoolId: string; move: boolean }) {
  if (input.fromPoolId === input.toPoolId) throw invalidInput("samePool", { field: "toPoolId" });
  return ctx.db.transaction(async (tx) => {
    const from = await loadPool({ ...ctx, db: tx }, input.fromPoolId, { forUpdate: true });
    const to = await loadPool({ ...ctx, db: tx }, input.toPoolId, { forUpdate: true });
    if (from.departmentId !== to.departmentId) throw invalidInput("poolsOfDifferentDepartments", { field: "toPoolId" });
    const added = rowCount(
      await tx.execute(sql`
        insert into ${poolMembers} (pool_id, contact_id)
        select ${to.id}, contact_id from ${poolMembers} where pool_id = ${from.id}
        on conflict do nothing`),
    );
    await tx.update(pools).set({ contactCount: sql`${pools.contactCount} + ${added}`, updatedAt: new Date() }).where(eq(pools.id, to.id));
    if (input.move) {
      await tx.execute(sql`delete from ${poolMembers} where pool_id = ${from.id}`);
      await tx.update(pools).set({ contactCount: 0, updatedAt: new Date() }).where(eq(pools.id, from.id));
    }
    await recordAudit(tx, ctx.actor, {
      action: input.move ? "pool.move" : "pool.copy",
      objectType: "pool",
      objectId: from.id,
      departmentId: from.departmentId,
      summary: { key: input.move ? "pool.move" : "pool.copy", params: { count: from.contactCount, from: from.name, to: to.name, added } },
    });
    return { added };
  });
}
