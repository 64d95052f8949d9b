import "server-only";
import { and, asc, count, eq, sql } from "drizzle-orm";
import { departments, groups, senderDomains, senders, tasks } from "@/db/schema";
import { readSetting } from "@/lib/accounts/settings";
import { authorize, departmentScope, resolveTargetDepartment } from "@/lib/access/policy";
import { recordAudit } from "@/lib/audit/record";
import type { Ctx } from "@/lib/access/context";
import { conflict, invalidInput, notFound } from "@/lib/errors";
import { normalizeAddress } from "@/lib/addresses/normalize";
import { addDomain } from "./domains";
import { isUuid } from "@/lib/ids";

export const senderColumns = {
  id: senders.id,
  departmentId: senders.departmentId,
  address: senders.address,
  name: senders.name,
  domainId: senders.domainId,
  domain: senderDomains.domain,
  domainStatus: senderDomains.status,
  createdAt: senders.createdAt,
};

export async function listSenders(ctx: Ctx) {
  authorize(ctx.actor, "senders.manage");
  return ctx.db
    .select({ ...senderColumns, departmentName: departments.name })
    .from(senders)
    .innerJoin(senderDomains, eq(senderDomains.id, senders.domainId))
    .innerJoin(departments, eq(departments.id, senders.departmentId))
    .where(departmentScope(ctx.actor, senders.departmentId))
    .orderBy(asc(senders.address));
}

export async function loadSender(ctx: Ctx, id: string) {
  if (!isUuid(id)) throw notFound("sender");
  const [row] = await ctx.db.select(senderColumns).from(senders).innerJoin(senderDomains, eq(senderDomains.id, senders.domainId)).where(eq(senders.id, id));
  if (!row) throw notFound("sender");
  authorize(ctx.actor, "senders.manage", { departmentId: row.departmentId });
  return row;
}

/**
 * A sender identity on a domain the department may use. With `registerDomain` (the CLI's
 * local use) an unknown domain is registered for the department, unverified.
 */
export async function createSender(ctx: Ctx, input: { departmentId?: string | null; address: string; name?: string; registerDomain?: boolean }) {
  const departmentId = resolveTargetDepartment(ctx.actor, input.departmentId);
  authorize(ctx.actor, "senders.manage", { departmentId });
  const checked = normalizeAddress(input.address);
  if (!checked.ok) throw invalidInput(checked.reason, { field: "address", params: checked.params });
  // Every receiving server would have to speak SMTPUTF8 for a From like this; most mail would fail.
  if (checked.utf8) throw invalidInput("senderNotAscii", { field: "address" });
  const domainName = checked.email.split("@")[1]!;
  return ctx.db.transaction(async (tx) => {
    const [department] = await tx.select({ id: departments.id }).from(departments).where(eq(departments.id, departmentId));
    if (!department) throw invalidInput("noDepartment", { field: "departmentId" });
    let [domain] = await tx
      .select({ id: senderDomains.id, status: senderDomains.status, approval: senderDomains.approval, departmentId: senderDomains.departmentId })
      .from(senderDomains)
      .where(sql`lower(${senderDomains.domain}) = ${domainName}`);
    if (domain && !(domain.departmentId === null || domain.departmentId === departmentId)) {
      throw invalidInput("senderDomainOfOther", { field: "address", params: { domain: domainName } });
    }
    if (!domain) {
      if (!input.registerDomain) throw invalidInput("senderDomainMissing", { field: "address", params: { domain: domainName } });
      const created = await addDomain({ ...ctx, db: tx }, { domain: domainName, departmentId }, tx);
      domain = { id: created.id, status: created.status, approval: created.approval, departmentId };
    }
    if (domain.approval !== "approved") throw invalidInput("senderDomainPending", { field: "address", params: { domain: domainName } });
    if (domain.status !== "verified" && (await readSetting(tx, "requireVerifiedDomains"))) {
      throw invalidInput("senderDomainUnverified", { field: "address", params: { domain: domainName } });
    }
    const [existing] = await tx.select({ id: senders.id }).from(senders).where(and(eq(senders.departmentId, departmentId), eq(senders.address, checked.email)));
    if (existing) throw conflict("senderTaken", { field: "address", params: { address: checked.email } });
    const [created] = await tx
      .insert(senders)
      .values({ departmentId, domainId: domain.id, address: checked.email, name: (input.name ?? "").trim().slice(0, 200) })
      .returning({ id: senders.id });
    await recordAudit(tx, ctx.actor, {
      action: "sender.create",
      objectType: "sender",
      objectId: created!.id,
      departmentId,
      summary: { key: "sender.create", params: { sender: `${input.name ? `${input.name} ` : ""}<${checked.email}>` }, notes: [domain.status !== "verified" && "domainNotVerified"] },
    });
    return created!;
  });
}

export async function deleteSender(ctx: Ctx, id: string) {
  const sender = await loadSender(ctx, id);
  await ctx.db.transaction(async (tx) => {
    const [used] = await tx.select({ value: count() }).from(tasks).where(eq(tasks.senderId, id));
    if ((used?.value ?? 0) > 0) throw conflict("senderInUse", { params: { address: sender.address, count: used!.value } });
    const [group] = await tx.select({ id: groups.id }).from(groups).where(eq(groups.senderId, id));
    if (group) throw conflict("senderIsGroupAddress", { params: { address: sender.address } });
    await tx.delete(senders).where(eq(senders.id, id));
    await recordAudit(tx, ctx.actor, { action: "sender.delete", objectType: "sender", objectId: id, departmentId: sender.departmentId, summary: { key: "sender.delete", params: { email: sender.address } } });
  });
}

