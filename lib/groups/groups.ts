import "server-only";
import { and, asc, count, desc, eq, sql } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { departments, groupPosts, groups, pools, senders, GROUP_POSTING, GROUP_REPLY_TO, GROUP_STRANGERS, type Group, type GroupPosting, type GroupReplyTo, type GroupStrangers } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { authorize, departmentScope } from "@/lib/access/policy";
import { normalizeAddress } from "@/lib/addresses/normalize";
import { recordAudit } from "@/lib/audit/record";
import { AppError, conflict, invalidInput, notFound } from "@/lib/errors";
import { isUuid } from "@/lib/ids";
import { loadPool } from "@/lib/pools/pools";
import { createSender } from "@/lib/senders/senders";
import { parseFeedbackAddress } from "@/lib/tokens/delivery-addresses";

/*
 * A pool's group address as people set it up (decision 0098): one per pool, on a sender domain
 * the department may use, unique in the company, with a sender row of its own so the engine can
 * send the posts on. The mail side (intake, moderation, sending on) is intake.ts, moderation.ts
 * and send.ts; the archive is archive.ts.
 */

export type GroupInput = {
  poolId: string;
  address: string;
  name?: string;
  posting?: GroupPosting;
  strangers?: GroupStrangers;
  replyTo?: GroupReplyTo;
  /** Addresses, or one text with one a line (the console's box). */
  moderators?: string[] | string;
  enabled?: boolean;
};

export const GROUP_LIMITS = { maxModerators: 50, maxName: 200 } as const;

export type GroupView = Pick<Group, "id" | "departmentId" | "poolId" | "address" | "name" | "senderId" | "posting" | "strangers" | "replyTo" | "moderators" | "allowedPosters" | "enabled" | "createdAt">;

const groupColumns = {
  id: groups.id,
  departmentId: groups.departmentId,
  poolId: groups.poolId,
  address: groups.address,
  name: groups.name,
  senderId: groups.senderId,
  posting: groups.posting,
  strangers: groups.strangers,
  replyTo: groups.replyTo,
  moderators: groups.moderators,
  allowedPosters: groups.allowedPosters,
  enabled: groups.enabled,
  createdAt: groups.createdAt,
};

/** The address, lower case; refused (field `address`) when malformed, internationalised or one of Fanout's return paths. */
function checkAddress(raw: string): string {
  const checked = normalizeAddress(raw ?? "");
  if (!checked.ok) throw invalidInput(checked.reason, { field: "address", params: checked.params });
  if (checked.utf8) throw invalidInput("senderNotAscii", { field: "address" });
  // Mail to bounce+…, unsubscribe+… and reply+… is read as feedback before any group sees it.
  if (parseFeedbackAddress(checked.email)) throw invalidInput("groupAddressReserved", { field: "address", params: { address: checked.email } });
  return checked.email.toLowerCase();
}

function checkModerators(raw: GroupInput["moderators"]): string[] {
  const lines = (Array.isArray(raw) ? raw : (raw ?? "").split(/[\n,;]+/)).map((line) => line.trim()).filter(Boolean);
  const found = new Set<string>();
  for (const [index, line] of lines.entries()) {
    const checked = normalizeAddress(line);
    if (!checked.ok) throw invalidInput("groupModeratorInvalid", { field: "moderators", params: { line: index + 1, address: line.slice(0, 100) } });
    found.add(checked.email);
  }
  if (found.size > GROUP_LIMITS.maxModerators) throw invalidInput("groupTooManyModerators", { field: "moderators", params: { max: GROUP_LIMITS.maxModerators } });
  return [...found];
}

function checkChoice<T extends string>(value: T | undefined, choices: readonly T[], field: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (!choices.includes(value)) throw invalidInput("groupChoiceUnknown", { field });
  return value;
}

async function assertAddressFree(db: Executor, address: string, exceptId?: string) {
  const [taken] = await db
    .select({ id: groups.id })
    .from(groups)
    .where(and(sql`lower(${groups.address}) = ${address}`, exceptId ? sql`${groups.id} <> ${exceptId}` : undefined));
  if (taken) throw conflict("groupAddressTaken", { field: "address", params: { address } });
}

/** The department's sender row for the address, made (audited, with every check createSender makes on the domain) when it has none. */
async function senderFor(ctx: Ctx, departmentId: string, address: string, name: string): Promise<string> {
  const [existing] = await ctx.db.select({ id: senders.id }).from(senders).where(and(eq(senders.departmentId, departmentId), eq(senders.address, address)));
  if (existing) return existing.id;
  return (await createSender(ctx, { departmentId, address, name })).id;
}

/** A unique violation (two creations at once) as the field error the checks before it give. */
async function unlessTaken<T>(address: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    const cause = ((error as { cause?: unknown })?.cause ?? error) as { code?: string; constraint?: string; message?: string };
    if (cause?.code !== "23505") throw error;
    const which = `${cause.constraint ?? ""} ${cause.message ?? ""}`;
    if (which.includes("groups_pool_unique")) throw conflict("groupPoolTaken", { field: "poolId" });
    throw conflict("groupAddressTaken", { field: "address", params: { address } });
  }
}

export async function createGroup(ctx: Ctx, input: GroupInput): Promise<GroupView> {
  const pool = await loadPool(ctx, input.poolId).catch((error: unknown) => {
    throw error instanceof AppError && error.code === "not_found" ? invalidInput("groupPoolMissing", { field: "poolId" }) : error;
  });
  const departmentId = pool.departmentId;
  const address = checkAddress(input.address);
  const name = (input.name ?? "").trim().slice(0, GROUP_LIMITS.maxName) || pool.name;
  const values = {
    posting: checkChoice(input.posting, GROUP_POSTING, "posting", "members"),
    strangers: checkChoice(input.strangers, GROUP_STRANGERS, "strangers", "hold"),
    replyTo: checkChoice(input.replyTo, GROUP_REPLY_TO, "replyTo", "group"),
    moderators: checkModerators(input.moderators),
    enabled: input.enabled ?? true,
  };
  const created = ctx.db.transaction(async (tx) => {
    const [existing] = await tx.select({ id: groups.id }).from(groups).where(eq(groups.poolId, pool.id));
    if (existing) throw conflict("groupPoolTaken", { field: "poolId" });
    await assertAddressFree(tx, address);
    const senderId = await senderFor({ ...ctx, db: tx }, departmentId, address, name);
    const [row] = await tx.insert(groups).values({ departmentId, poolId: pool.id, address, name, senderId, ...values }).returning(groupColumns);
    await recordAudit(tx, ctx.actor, { action: "group.create", objectType: "group", objectId: row!.id, departmentId, summary: { key: "group.create", params: { address, pool: pool.name } } });
    return row!;
  });
  return unlessTaken(address, created);
}

/** Loads a group: 404 when there is none, 403 when the caller may not `permission` its department. */
export async function loadGroup(ctx: Ctx, id: string, permission: "tasks.view" | "pools.manage" = "tasks.view"): Promise<GroupView & { poolName: string }> {
  if (!isUuid(id)) throw notFound("group");
  const [row] = await ctx.db.select({ ...groupColumns, poolName: pools.name }).from(groups).innerJoin(pools, eq(pools.id, groups.poolId)).where(eq(groups.id, id));
  if (!row) throw notFound("group");
  authorize(ctx.actor, permission, { departmentId: row.departmentId });
  return row;
}

/** Changes a group's settings; the pool stays. A new address is checked as on creation and gets its sender row. */
export async function updateGroup(ctx: Ctx, id: string, input: Partial<Omit<GroupInput, "poolId">>): Promise<GroupView> {
  const current = await loadGroup(ctx, id, "pools.manage");
  const address = input.address === undefined ? current.address : checkAddress(input.address);
  const name = input.name === undefined ? current.name : input.name.trim().slice(0, GROUP_LIMITS.maxName) || current.name;
  const values = {
    name,
    address,
    posting: checkChoice(input.posting, GROUP_POSTING, "posting", current.posting),
    strangers: checkChoice(input.strangers, GROUP_STRANGERS, "strangers", current.strangers),
    replyTo: checkChoice(input.replyTo, GROUP_REPLY_TO, "replyTo", current.replyTo),
    moderators: input.moderators === undefined ? current.moderators : checkModerators(input.moderators),
    enabled: input.enabled ?? current.enabled,
  };
  const updated = ctx.db.transaction(async (tx) => {
    let senderId = current.senderId;
    if (address !== current.address) {
      await assertAddressFree(tx, address, id);
      senderId = await senderFor({ ...ctx, db: tx }, current.departmentId, address, name);
    }
    const [row] = await tx
      .update(groups)
      .set({ ...values, senderId, updatedAt: new Date() })
      .where(eq(groups.id, id))
      .returning(groupColumns);
    await recordAudit(tx, ctx.actor, { action: "group.update", objectType: "group", objectId: id, departmentId: current.departmentId, summary: { key: "group.update", params: { address } } });
    return row!;
  });
  return unlessTaken(address, updated);
}

/** Deletes a group and its archive; its sender row stays with the department. */
export async function deleteGroup(ctx: Ctx, id: string): Promise<void> {
  const current = await loadGroup(ctx, id, "pools.manage");
  await ctx.db.transaction(async (tx) => {
    const [posts] = await tx.select({ value: count() }).from(groupPosts).where(eq(groupPosts.groupId, id));
    await tx.delete(groups).where(eq(groups.id, id));
    await recordAudit(tx, ctx.actor, {
      action: "group.delete",
      objectType: "group",
      objectId: id,
      departmentId: current.departmentId,
      summary: { key: "group.delete", params: { address: current.address, count: posts?.value ?? 0 } },
    });
  });
}

export type GroupListRow = GroupView & { poolName: string; departmentName: string; held: number; sent: number };

/** The groups the caller reads (tasks.view, its departments), newest first, with their pool and how many posts wait or were sent. */
export async function listGroups(ctx: Ctx, options: { offset?: number; limit?: number } = {}): Promise<GroupListRow[]> {
  authorize(ctx.actor, "tasks.view");
  return ctx.db
    .select({
      ...groupColumns,
      poolName: pools.name,
      departmentName: departments.name,
      held: sql<number>`(select count(*)::int from ${groupPosts} p where p.group_id = ${groups.id} and p.status = 'held')`,
      sent: sql<number>`(select count(*)::int from ${groupPosts} p where p.group_id = ${groups.id} and p.status = 'sent')`,
    })
    .from(groups)
    .innerJoin(pools, eq(pools.id, groups.poolId))
    .innerJoin(departments, eq(departments.id, groups.departmentId))
    .where(departmentScope(ctx.actor, groups.departmentId))
    .orderBy(desc(groups.createdAt), asc(groups.id))
    .offset(options.offset ?? 0)
    .limit(Math.min(options.limit ?? 50, 200));
}
