import "server-only";
import { notifyDomainDnsBroken } from "@/lib/notifications/triggers";
import crypto from "node:crypto";
import { and, asc, eq, isNull, or, sql } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { departments, senderDomains, type DnsCheck } from "@/db/schema";
import { authorize } from "@/lib/access/policy";
import { recordAudit } from "@/lib/audit/record";
import type { Ctx } from "@/lib/access/context";
import { conflict, invalidInput, notFound } from "@/lib/errors";
import { normalizeAddress } from "@/lib/addresses/normalize";
import { checkRecords, generateDkimKey, recordsFor, systemResolver, type Resolver } from "./dns";
import { refreshFromResend, registerWithResend, resendDomainsClient } from "./resend-domains";
import { isUuid } from "@/lib/ids";

/** What pages and the API may show of a domain: never the private key. */
export const domainColumns = {
  id: senderDomains.id,
  departmentId: senderDomains.departmentId,
  domain: senderDomains.domain,
  status: senderDomains.status,
  approval: senderDomains.approval,
  dkimSelector: senderDomains.dkimSelector,
  dkimPublicKey: senderDomains.dkimPublicKey,
  checks: senderDomains.checks,
  checkedAt: senderDomains.checkedAt,
  resendDomainId: senderDomains.resendDomainId,
  createdAt: senderDomains.createdAt,
};

export function normalizeDomain(raw: string): string {
  const checked = normalizeAddress(`postmaster@${raw.trim().replace(/\.$/, "")}`);
  if (!checked.ok) throw invalidInput("notADomain", { field: "domain", params: { ...checked.params, domain: raw.slice(0, 100), problem: checked.reason } });
  return checked.email.slice("postmaster@".length);
}

/** Domains a caller may send from: its department's and the company-wide ones. */
export function visibleDomains(departmentId: string | null) {
  return departmentId ? or(eq(senderDomains.departmentId, departmentId), isNull(senderDomains.departmentId)) : undefined;
}

export async function listDomains(ctx: Ctx) {
  authorize(ctx.actor, "senders.manage");
  const rows = await ctx.db
    .select({ ...domainColumns, departmentName: departments.name })
    .from(senderDomains)
    .leftJoin(departments, eq(departments.id, senderDomains.departmentId))
    .where(ctx.actor.role === "admin" ? undefined : visibleDomains(ctx.actor.departmentId))
    .orderBy(asc(senderDomains.domain));
  return rows.map((row) => ({
    ...row,
    // A domain Resend manages shows Resend's records; any other, the ones Fanout signs for.
    records: row.resendDomainId
      ? row.checks.map((check) => ({ record: check.record, type: check.expected.split(" ")[0] as "TXT" | "CNAME", host: check.host, value: check.expected.slice(check.expected.indexOf(" ") + 1) }))
      : recordsFor(row.domain, row.dkimSelector, row.dkimPublicKey),
  }));
}

export async function loadDomain(ctx: Ctx, id: string, purpose: "use" | "manage") {
  if (!isUuid(id)) throw notFound("domain");
  const [row] = await ctx.db.select(domainColumns).from(senderDomains).where(eq(senderDomains.id, id));
  if (!row) throw notFound("domain");
  // A company-wide domain may be used by every department but managed by admins only.
  if (purpose === "manage" || row.departmentId !== null) authorize(ctx.actor, "senders.manage", { departmentId: row.departmentId });
  else authorize(ctx.actor, "senders.manage");
  return row;
}

/**
 * Registers a domain for a department or the whole company. A domain is registered once: a
 * domain another department (or the company) holds cannot be claimed. A department's claim waits
 * for an admin's approval (approveDomain) before senders may use it, and is registered with
 * Resend only then; an admin's domain is approved as it is added.
 */
export async function addDomain(ctx: Ctx, input: { domain: string; departmentId: string | null }, executor: Executor = ctx.db) {
  authorize(ctx.actor, "senders.manage", { departmentId: input.departmentId });
  const domain = normalizeDomain(input.domain);
  const approval = ctx.actor.role === "admin" ? ("approved" as const) : ("pending" as const);
  const key = generateDkimKey();
  const selector = `fanout${crypto.randomBytes(3).toString("hex")}`;
  const [existing] = await executor.select({ id: senderDomains.id }).from(senderDomains).where(sql`lower(${senderDomains.domain}) = ${domain}`);
  if (existing) throw conflict("domainTaken", { field: "domain", params: { domain } });
  const resend = approval === "approved" ? resendDomainsClient() : null;
  const registered = resend ? await registerWithResend(resend, domain) : null;
  return executor.transaction(async (tx) => {
    const [created] = await tx
      .insert(senderDomains)
      .values({
        departmentId: input.departmentId,
        domain,
        dkimSelector: selector,
        dkimPrivateKey: key.privateKey,
        dkimPublicKey: key.publicKey,
        approval,
        ...(registered ? { resendDomainId: registered.id, status: registered.status, checks: registered.checks, checkedAt: new Date() } : {}),
      })
      .returning(domainColumns);
    await recordAudit(tx, ctx.actor, {
      action: "domain.create",
      objectType: "domain",
      objectId: created!.id,
      departmentId: input.departmentId,
      summary: {
        key: "domain.create",
        params: { domain },
        notes: [!input.departmentId && "companyWide", registered && "registeredWithResend", approval === "pending" && "awaitingApproval"],
      },
    });
    return created!;
  });
}

/** An admin's decision on a department's claim: approved, the domain may carry senders; rejected, the claim is removed. */
export async function decideDomainClaim(ctx: Ctx, id: string, decision: "approve" | "reject") {
  authorize(ctx.actor, "company.update");
  const domain = await loadDomain(ctx, id, "manage");
  if (domain.approval !== "pending") throw conflict("domainNotPending", { params: { domain: domain.domain } });
  const resend = decision === "approve" ? resendDomainsClient() : null;
  const registered = resend ? await registerWithResend(resend, domain.domain) : null;
  await ctx.db.transaction(async (tx) => {
    const decided =
      decision === "approve"
        ? await tx
            .update(senderDomains)
            .set({ approval: "approved", ...(registered ? { resendDomainId: registered.id, status: registered.status, checks: registered.checks, checkedAt: new Date() } : {}) })
            .where(and(eq(senderDomains.id, id), eq(senderDomains.approval, "pending")))
            .returning({ id: senderDomains.id })
        : await tx
            .delete(senderDomains)
            .where(and(eq(senderDomains.id, id), eq(senderDomains.approval, "pending")))
            .returning({ id: senderDomains.id });
    if (decided.length === 0) throw conflict("domainNotPending", { params: { domain: domain.domain } });
    await recordAudit(tx, ctx.actor, {
      action: decision === "approve" ? "domain.approve" : "domain.reject",
      objectType: "domain",
      objectId: id,
      departmentId: domain.departmentId,
      summary: { key: decision === "approve" ? "domain.approve" : "domain.reject", params: { domain: domain.domain }, notes: [registered && "registeredWithResend"] },
    });
  });
  return { approval: decision === "approve" ? ("approved" as const) : ("rejected" as const) };
}

/** Resolves the domain's records now and stores what was found. */
export async function checkDomain(ctx: Ctx, id: string, resolver: Resolver = systemResolver) {
  const domain = await loadDomain(ctx, id, "manage");
  const resend = domain.resendDomainId ? resendDomainsClient() : null;
  const { checks, status } =
    resend && domain.resendDomainId
      ? await refreshFromResend(resend, domain.resendDomainId, domain.domain)
      : await checkRecords(domain.domain, domain.dkimSelector, domain.dkimPublicKey, resolver).then((found) => ({
          checks: found,
          status: found.every((check) => check.pass) ? ("verified" as const) : ("failed" as const),
        }));
  await ctx.db.transaction(async (tx) => {
    const [before] = await tx.select({ status: senderDomains.status }).from(senderDomains).where(eq(senderDomains.id, id)).for("update");
    await tx.update(senderDomains).set({ checks, status, checkedAt: new Date() }).where(eq(senderDomains.id, id));
    // A domain that sent (verified) and no longer checks out: its senders' mail is at risk now.
    const broke = before?.status === "verified" && status === "failed";
    if (broke) await notifyDomainDnsBroken(tx, { id, domain: domain.domain, departmentId: domain.departmentId }, recordsWhere(checks, false));
    await recordAudit(tx, ctx.actor, {
      action: "domain.check",
      objectType: "domain",
      objectId: id,
      departmentId: domain.departmentId,
      summary: { key: "domain.check", params: { domain: domain.domain, passed: recordsWhere(checks, true), failed: recordsWhere(checks, false) }, notes: [checks.some((check) => check.pass) && "checksPassed", checks.some((check) => !check.pass) && "checksFailed"] },
    });
  });
  return { status, checks };
}

/** The signing key of a domain, for the SMTP transport only. */
export async function dkimKeyFor(db: Executor, domainId: string) {
  const [row] = await db
    .select({ domainName: senderDomains.domain, keySelector: senderDomains.dkimSelector, privateKey: senderDomains.dkimPrivateKey })
    .from(senderDomains)
    .where(and(eq(senderDomains.id, domainId)));
  return row ?? null;
}

function recordsWhere(checks: DnsCheck[], pass: boolean): string[] {
  return checks.filter((check) => check.pass === pass).map((check) => check.record);
}
