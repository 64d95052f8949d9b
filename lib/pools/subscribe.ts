import "server-only";
import { withErasedKeys } from "@/lib/addresses/erased";
import { and, eq, inArray, sql } from "drizzle-orm";
import { contacts, poolMembers, pools, suppressions } from "@/db/schema";
import { admitConfirmation } from "@/lib/accounts/mail-limits";
import { recordAudit } from "@/lib/audit/record";
import { signToken, verifyToken } from "@/lib/tokens/signed";
import type { Ctx } from "@/lib/access/context";
import { invalidInput, notFound } from "@/lib/errors";
import { publicBaseUrl, sendSystemMessage } from "@/lib/transports/system-mail";
import { affectedRows, type Database } from "@/db/client";
import { systemActor } from "@/lib/access/actor";
import { authorize, departmentScope } from "@/lib/access/policy";
import { normalizeAddress } from "@/lib/addresses/normalize";
import { loadPool } from "./pools";
import { markContacts } from "./suppression";
import { emitWebhookEvent } from "@/lib/webhooks/emit";
import { enrolOnEvent } from "@/lib/triggers/enrol";

const CONFIRM_PURPOSE = "subscribe-confirm";
const CONFIRM_TTL_SECONDS = 7 * 24 * 3600;

export type SubscribeInput = { poolId: string; email: string; name?: string; attributes?: Record<string, unknown>; doubleOptIn?: boolean };

/**
 * Adds a person to a pool. With doubleOptIn the contact stays `pending` and receives a
 * confirmation message with a signed link; an active contact stays active. No confirmation goes
 * to a suppressed address, nor a second one to the same address within the window of
 * lib/accounts/mail-limits.ts; both answer "pending" like any other, so the caller (often a
 * public form) learns nothing about the address. Past the department's hourly limit of
 * confirmations the call is refused with `rate_limited` and nothing changes.
 */
export async function subscribe(ctx: Ctx, input: SubscribeInput): Promise<{ status: "subscribed" | "pending" }> {
  const pool = await loadPool(ctx, input.poolId);
  const checked = normalizeAddress(input.email);
  if (!checked.ok) throw invalidInput(checked.reason, { field: "email", params: checked.params });
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.attributes ?? {})) {
    if (value !== null && value !== undefined && String(value) !== "") attributes[key.slice(0, 100)] = String(value).slice(0, 1000);
  }
  return ctx.db.transaction(async (tx) => {
    const [contact] = await tx
      .insert(contacts)
      .values({
        departmentId: pool.departmentId,
        email: checked.email,
        name: (input.name ?? "").trim().slice(0, 200),
        attributes,
        status: input.doubleOptIn ? "pending" : "active",
      })
      .onConflictDoUpdate({
        target: [contacts.departmentId, contacts.email],
        set: {
          name: sql`case when excluded.name <> '' then excluded.name else ${contacts.name} end`,
          attributes: sql`${contacts.attributes} || excluded.attributes`,
          searchPending: true,
          updatedAt: new Date(),
        },
      })
      .returning({ id: contacts.id, status: contacts.status });
    const added = affectedRows(
      await tx.execute(sql`insert into ${poolMembers} (pool_id, contact_id) values (${pool.id}, ${contact!.id}) on conflict do nothing`),
    );
    if (added > 0) await tx.update(pools).set({ contactCount: sql`${pools.contactCount} + 1` }).where(eq(pools.id, pool.id));
    const pending = input.doubleOptIn === true && contact!.status !== "active";
    let confirmation: "sent" | "suppressed" | "recently_sent" | null = null;
    if (pending) {
      const [suppressed] = await tx
        .select({ reason: suppressions.reason })
        .from(suppressions)
        .where(and(eq(suppressions.departmentId, pool.departmentId), inArray(suppressions.email, withErasedKeys([checked.email]))));
      if (suppressed) confirmation = "suppressed";
      else if ((await admitConfirmation(tx, { departmentId: pool.departmentId, email: checked.email })) === "recently_sent") confirmation = "recently_sent";
      else {
        // A contact that left earlier and is no longer suppressed waits for this confirmation like a new one.
        if (contact!.status !== "pending") await tx.update(contacts).set({ status: "pending", updatedAt: new Date() }).where(eq(contacts.id, contact!.id));
        const token = signToken(CONFIRM_PURPOSE, { c: contact!.id, p: pool.id }, CONFIRM_TTL_SECONDS);
        const link = `${publicBaseUrl()}/u/confirm?token=${encodeURIComponent(token)}`;
        await sendSystemMessage(tx, {
          departmentId: pool.departmentId,
          kind: "subscribe-confirmation",
          to: checked.email,
          subject: "Please confirm your subscription / 请确认订阅",
          text: `Please confirm that you want to receive messages from us:\n${link}\n\n请点击以下链接确认订阅：\n${link}\n`,
          html: `<p>Please confirm that you want to receive messages from us.</p><p>请点击以下链接确认订阅。</p><p><a href="${link}">Confirm / 确认订阅</a></p>`,
        });
        confirmation = "sent";
      }
    }
    const awaiting = { sent: "awaitingConfirmation", suppressed: "suppressedNoConfirmation", recently_sent: "confirmationRecentlySent" } as const;
    await recordAudit(tx, ctx.actor, {
      action: "pool.subscribe",
      objectType: "contact",
      objectId: String(contact!.id),
      departmentId: pool.departmentId,
      summary: { key: "pool.subscribe", params: { email: checked.email, pool: pool.name }, notes: [confirmation && awaiting[confirmation]] },
    });
    if (!pending) await emitWebhookEvent(tx, pool.departmentId, "subscribed", { email: checked.email, poolId: pool.id, contactId: contact!.id, doubleOptIn: false });
    // A new member (not a repeated call) starts the pool's automations (a welcome series); a pending one when it confirms.
    if (!pending && added > 0) await enrolOnEvent(tx, pool.departmentId, { type: "subscribed", poolId: pool.id }, sql`select ${contact!.id}::bigint as contact_id`);
    return { status: pending ? "pending" : "subscribed" };
  });
}

export type ConfirmOutcome = { status: "confirmed"; email: string } | { status: "used" };

/**
 * The link in the confirmation message: activates the contact once, while it is pending. A link
 * used again (after confirming, or after the person unsubscribed since) changes nothing and
 * says so; a bad or expired token answers null.
 */
export async function confirmSubscription(db: Database, token: string): Promise<ConfirmOutcome | null> {
  const payload = verifyToken<{ c: number; p: string }>(CONFIRM_PURPOSE, token);
  if (!payload || typeof payload.c !== "number") return null;
  return db.transaction(async (tx) => {
    const [contact] = await tx
      .update(contacts)
      .set({ status: "active", updatedAt: new Date() })
      .where(and(eq(contacts.id, payload.c), eq(contacts.status, "pending")))
      .returning({ id: contacts.id, email: contacts.email, departmentId: contacts.departmentId });
    if (!contact) {
      const [exists] = await tx.select({ id: contacts.id }).from(contacts).where(eq(contacts.id, payload.c));
      return exists ? { status: "used" as const } : null;
    }
    await recordAudit(tx, systemActor("recipient"), {
      action: "pool.subscribe_confirm",
      objectType: "contact",
      objectId: String(contact.id),
      departmentId: contact.departmentId,
      summary: { key: "pool.subscribeConfirm", params: { email: contact.email } },
    });
    await emitWebhookEvent(tx, contact.departmentId, "subscribed", { email: contact.email, poolId: payload.p, contactId: contact.id, doubleOptIn: true });
    await enrolOnEvent(tx, contact.departmentId, { type: "subscribed", poolId: payload.p }, sql`select ${contact.id}::bigint as contact_id`);
    return { status: "confirmed" as const, email: contact.email };
  });
}

/**
 * The API's unsubscribe: with a pool, the address leaves that pool; without one, the
 * department stops sending to it (contact marked, address suppressed).
 */
export async function unsubscribe(ctx: Ctx, input: { email: string; poolId?: string; departmentId?: string | null }) {
  const checked = normalizeAddress(input.email);
  if (!checked.ok) throw invalidInput(checked.reason, { field: "email", params: checked.params });
  if (input.poolId) {
    const pool = await loadPool(ctx, input.poolId);
    return ctx.db.transaction(async (tx) => {
      const removed = affectedRows(
        await tx.execute(sql`
          delete from ${poolMembers} using ${contacts}
          where ${poolMembers.poolId} = ${pool.id} and ${poolMembers.contactId} = ${contacts.id}
            and ${contacts.departmentId} = ${pool.departmentId} and ${contacts.email} = ${checked.email}`),
      );
      if (removed > 0) await tx.update(pools).set({ contactCount: sql`greatest(${pools.contactCount} - ${removed}, 0)` }).where(eq(pools.id, pool.id));
      await recordAudit(tx, ctx.actor, {
        action: "pool.unsubscribe",
        objectType: "pool",
        objectId: pool.id,
        departmentId: pool.departmentId,
        summary: { key: "pool.unsubscribe", params: { email: checked.email, pool: pool.name } },
      });
      return { status: "unsubscribed" as const };
    });
  }
  authorize(ctx.actor, "pools.manage");
  const departmentIds = ctx.actor.departmentId
    ? [ctx.actor.departmentId]
    : input.departmentId
      ? [input.departmentId]
      : (await ctx.db.selectDistinct({ id: contacts.departmentId }).from(contacts).where(and(eq(contacts.email, checked.email), departmentScope(ctx.actor, contacts.departmentId)))).map((row) => row.id);
  if (departmentIds.length === 0) throw notFound("contact");
  await ctx.db.transaction(async (tx) => {
    for (const departmentId of departmentIds) {
      authorize(ctx.actor, "pools.manage", { departmentId });
      await tx.insert(suppressions).values({ departmentId, email: checked.email, reason: "unsubscribed", createdBy: ctx.actor.label }).onConflictDoNothing();
      await markContacts(tx, departmentId, [checked.email], "unsubscribed");
      await recordAudit(tx, ctx.actor, {
        action: "pool.unsubscribe",
        objectType: "contact",
        objectId: checked.email,
        departmentId,
        summary: { key: "pool.unsubscribeDepartment", params: { email: checked.email } },
      });
    }
  });
  return { status: "unsubscribed" as const };
}
