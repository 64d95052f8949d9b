import "server-only";
import { and, desc, eq, inArray, sql, type SQL } from "drizzle-orm";
import { channelSuppressions, departments, type ContactChannel, type ChannelSuppressionReason } from "@/db/schema";
import { epochMicros } from "@/db/sql";
import { operatorId } from "@/lib/access/actor";
import type { Ctx } from "@/lib/access/context";
import { authorize, departmentScope, resolveTargetDepartment } from "@/lib/access/policy";
import { readPhoneRegion } from "@/lib/accounts/settings";
import { recordAudit } from "@/lib/audit/record";
import { invalidInput } from "@/lib/errors";
import type { Reason, ReasonParams } from "@/lib/i18n/reasons-en";
import { WECOM_USER_ID } from "./contact-channels";
import { readPhoneCell } from "./phone-cell";
import { afterCursor, containing, insertInChunks, MAX_BULK_SUPPRESSIONS, pageWithCursor, pastedEntries, REPORTED_INVALID_LINES, SUPPRESSION_PAGE_SIZE } from "./suppression";

/*
 * Opt-outs of the channels beyond e-mail (SMS, WhatsApp, WeCom), one list per channel and
 * department: an SMS opt-out leaves e-mail (`suppressions`) and WhatsApp alone. Managed with the
 * same permission as e-mail's suppression list.
 */

export type ChannelAddress = { ok: true; address: string } | { ok: false; reason: Reason; params: ReasonParams };

/** A number (E.164, read in the company's region) for SMS and WhatsApp, a WeCom user id for WeCom. */
export function readChannelAddress(channel: ContactChannel, text: string, region: string): ChannelAddress {
  if (channel === "wecom") {
    const id = text.trim();
    return WECOM_USER_ID.test(id) ? { ok: true, address: id } : { ok: false, reason: "notWecomUserId", params: {} };
  }
  const phone = readPhoneCell(text, region);
  if (!phone.ok) return { ok: false, reason: phone.problem.params.problem as Reason, params: phone.problem.params };
  return phone.e164 ? { ok: true, address: phone.e164 } : { ok: false, reason: "phoneEmpty", params: {} };
}

/** One page of a channel's suppressions, newest first, keyed by (time, department, address): a unique key, so no row is shown twice or skipped. */
export async function listChannelSuppressions(ctx: Ctx, channel: ContactChannel, filters: { q?: string; before?: string } = {}) {
  authorize(ctx.actor, "pools.manage");
  const conditions: (SQL | undefined)[] = [departmentScope(ctx.actor, channelSuppressions.departmentId), eq(channelSuppressions.channel, channel)];
  const q = filters.q?.trim().slice(0, 64);
  if (q) conditions.push(sql`${channelSuppressions.address} like ${containing(q)}`);
  // The same cursor as e-mail's list (an address may hold `_`; it comes last).
  conditions.push(afterCursor(filters.before, { createdAt: channelSuppressions.createdAt, key: channelSuppressions.address, departmentId: channelSuppressions.departmentId }));
  const rows = await ctx.db
    .select({
      departmentId: channelSuppressions.departmentId,
      departmentName: departments.name,
      channel: channelSuppressions.channel,
      address: channelSuppressions.address,
      reason: channelSuppressions.reason,
      note: channelSuppressions.note,
      createdBy: channelSuppressions.createdBy,
      createdAt: channelSuppressions.createdAt,
      createdMicros: epochMicros(channelSuppressions.createdAt),
    })
    .from(channelSuppressions)
    .innerJoin(departments, eq(departments.id, channelSuppressions.departmentId))
    .where(and(...conditions))
    .orderBy(desc(channelSuppressions.createdAt), desc(channelSuppressions.address), desc(channelSuppressions.departmentId))
    .limit(SUPPRESSION_PAGE_SIZE + 1);
  return pageWithCursor(rows, (row) => row.address);
}

export type InvalidChannelLine = { line: number; value: string; reason: Reason; params: ReasonParams };

/**
 * Suppresses numbers (or WeCom ids) on one channel, pasted one per line or separated by commas.
 * Existing entries keep their first reason; what is not a number is named back by line, the rest added.
 */
export async function addChannelSuppressions(
  ctx: Ctx,
  input: { departmentId?: string | null; channel: ContactChannel; addresses: string; reason: ChannelSuppressionReason; note?: string },
) {
  const departmentId = resolveTargetDepartment(ctx.actor, input.departmentId);
  authorize(ctx.actor, "pools.manage", { departmentId });
  const candidates = pastedEntries(input.addresses);
  if (candidates.length === 0) throw invalidInput("channelAddressMissing", { field: "addresses" });
  if (candidates.length > MAX_BULK_SUPPRESSIONS) throw invalidInput("tooManyAddresses", { field: "addresses", params: { max: MAX_BULK_SUPPRESSIONS } });
  const region = await readPhoneRegion(ctx.db);
  const invalid: InvalidChannelLine[] = [];
  let invalidCount = 0;
  const addresses = new Set<string>();
  for (const candidate of candidates) {
    const checked = readChannelAddress(input.channel, candidate.value, region);
    if (checked.ok) addresses.add(checked.address);
    else if (++invalidCount <= REPORTED_INVALID_LINES) invalid.push({ line: candidate.line, value: candidate.value.slice(0, 64), reason: checked.reason, params: checked.params });
  }
  const added = await ctx.db.transaction(async (tx) => {
    const rows = [...addresses].map((address) => ({
      departmentId,
      channel: input.channel,
      address,
      reason: input.reason,
      note: input.note ?? "",
      createdBy: operatorId(ctx.actor),
    }));
    const count = await insertInChunks(rows, (chunk) => tx.insert(channelSuppressions).values(chunk).onConflictDoNothing().returning({ address: channelSuppressions.address }));
    await recordAudit(tx, ctx.actor, {
      action: "channel_suppression.add",
      objectType: "channel_suppression",
      objectId: addresses.size === 1 ? `${input.channel}:${[...addresses][0]!}` : input.channel,
      departmentId,
      summary: { key: "channelSuppression.add", params: { count, channel: input.channel, channelReason: input.reason } },
      details: input.note ? { note: input.note } : undefined,
    });
    return count;
  });
  return { added, alreadySuppressed: addresses.size - added, invalid, invalidCount };
}

/** Lifts one suppression; like e-mail's, it needs a reason, which the operation log keeps. */
export async function removeChannelSuppression(ctx: Ctx, input: { departmentId: string; channel: ContactChannel; address: string; reason: string }) {
  authorize(ctx.actor, "pools.manage", { departmentId: input.departmentId });
  if (input.reason.trim().length < 3) throw invalidInput("unsuppressReasonMissing", { field: "reason" });
  return ctx.db.transaction(async (tx) => {
    const removed = await tx
      .delete(channelSuppressions)
      .where(and(eq(channelSuppressions.departmentId, input.departmentId), eq(channelSuppressions.channel, input.channel), eq(channelSuppressions.address, input.address)))
      .returning({ reason: channelSuppressions.reason });
    if (removed.length === 0) return { removed: false };
    await recordAudit(tx, ctx.actor, {
      action: "channel_suppression.remove",
      objectType: "channel_suppression",
      objectId: `${input.channel}:${input.address}`,
      departmentId: input.departmentId,
      summary: { key: "channelSuppression.remove", params: { address: input.address, channel: input.channel, channelReason: removed[0]!.reason, why: input.reason.trim() } },
    });
    return { removed: true };
  });
}

/**
 * The given numbers (or WeCom ids) the department must not reach on `channel`, as stored: what
 * the send engine asks before a batch. Addresses must already be E.164 / ids, as contacts store them.
 */
export async function suppressedOnChannel(ctx: Ctx, input: { departmentId: string; channel: ContactChannel; addresses: string[] }): Promise<Set<string>> {
  authorize(ctx.actor, "pools.manage", { departmentId: input.departmentId });
  if (input.addresses.length === 0) return new Set();
  const rows = await ctx.db
    .select({ address: channelSuppressions.address })
    .from(channelSuppressions)
    .where(and(eq(channelSuppressions.departmentId, input.departmentId), eq(channelSuppressions.channel, input.channel), inArray(channelSuppressions.address, input.addresses)));
  return new Set(rows.map((row) => row.address));
}

/** Whether one number (any format the company region reads) or WeCom id is suppressed on the channel in the department. */
export async function isChannelSuppressed(ctx: Ctx, input: { departmentId: string; channel: ContactChannel; address: string }): Promise<boolean> {
  const checked = readChannelAddress(input.channel, input.address, await readPhoneRegion(ctx.db));
  if (!checked.ok) throw invalidInput(checked.reason, { field: "address", params: checked.params });
  const found = await suppressedOnChannel(ctx, { departmentId: input.departmentId, channel: input.channel, addresses: [checked.address] });
  return found.has(checked.address);
}
