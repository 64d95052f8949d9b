import "server-only";
import { sql } from "drizzle-orm";
import { queryRows, type Database, type Executor } from "@/db/client";
import { systemActor } from "@/lib/access/actor";
import { recordAudit } from "@/lib/audit/record";
import { isOptOutReply } from "@/lib/channels/opt-out";
import type { InboundReply, MessagingChannel, Receipt } from "@/lib/channels/types";
import { recordOpen } from "./tracking";
import { applyFeedback, type FeedbackResult } from "./apply";

/*
 * What the channel providers' webhooks tell us (lib/channels parses and verifies them): receipts
 * move a delivery as a mail provider's events do; a reply joins the trail of the message it answers,
 * and one that is an opt-out word ("TD", "退订", "STOP") takes the number off that channel at once,
 * in the same request.
 */

export type ReceiptResult = FeedbackResult | "ignored";

/**
 * Applies one receipt to the delivery its provider id names. A failure is the message's final
 * failure (category "other": a carrier's reasons are not a mailbox's), and never suppresses the
 * contact's e-mail address; "read" (WhatsApp) counts as a person's open; "sent" only joins the trail.
 */
export async function applyChannelReceipt(db: Database, channel: MessagingChannel, receipt: Receipt): Promise<ReceiptResult> {
  const [delivery] = await queryRows<{ id: string | number }>(db, sql`select id from deliveries where provider_id = ${receipt.providerId} limit 1`);
  if (!delivery) return "not_found";
  const deliveryId = Number(delivery.id);
  const origin = { source: "channel" as const, dedupeKey: `${channel}:${receipt.providerId}:${receipt.status}`, occurredAt: receipt.at, detail: { channel, providerId: receipt.providerId } };
  switch (receipt.status) {
    case "delivered":
      return applyFeedback(db, deliveryId, { kind: "delivered" }, origin);
    case "failed":
      return applyFeedback(db, deliveryId, { kind: "bounce", event: "failed", category: "other", hard: false, status: null, diagnostic: receipt.reason || "The provider could not deliver the message" }, origin);
    case "read": {
      const outcome = await recordOpen(db, deliveryId, { at: receipt.at, readReceipt: { channel } });
      return outcome.recorded ? (outcome.first ? "applied" : "recorded") : "recorded";
    }
    case "sent":
      return applyFeedback(db, deliveryId, { kind: "sent" }, origin);
  }
}

export type ReplyResult = { optedOut: boolean; departments: number; /** The delivery the reply was stored on; null when nothing was sent to the number on that channel. */ deliveryId: number | null };

/** A reply's text as stored: what a long SMS or WhatsApp message can hold, no more. */
export const REPLY_TEXT_MAX = 1600;

/**
 * A reply: stored on the last delivery sent to that number (or WeCom user) on that channel, as a
 * `replied` event of its trail (once per provider message id); and an opt-out word puts the number
 * on the channel's suppression list of every department (the company sends from one number and one
 * signature, so "退订" is said to all of it), audited once per department where it was new.
 */
export async function applyChannelReply(db: Database, reply: InboundReply): Promise<ReplyResult> {
  return db.transaction(async (tx) => {
    const deliveryId = await storeReply(tx, reply);
    if (!isOptOutReply(reply.text)) return { optedOut: false, departments: 0, deliveryId };
    const word = reply.text.trim().slice(0, 20);
    const by = `${reply.channel} reply`;
    const added = await queryRows<{ department_id: string }>(
      tx,
      sql`insert into channel_suppressions (department_id, channel, address, reason, note, created_by)
          select id, ${reply.channel}, ${reply.from}, 'opted_out', ${`Replied "${word}"`}, ${by} from departments order by id
          on conflict (department_id, channel, address) do nothing returning department_id`,
    );
    const actor = systemActor("recipient");
    for (const { department_id: departmentId } of added) {
      await recordAudit(tx, actor, {
        action: "channel_suppression.reply",
        objectType: "channel_suppression",
        objectId: `${reply.channel}:${reply.from}`,
        departmentId,
        summary: { key: "channelSuppression.reply", params: { address: reply.from, channel: reply.channel, word } },
        details: { channel: reply.channel, address: reply.from, word, providerId: reply.providerId ?? null },
      });
    }
    return { optedOut: true, departments: added.length, deliveryId };
  });
}

/**
 * The last message sent to the number on the channel is the one answered. Found through the
 * contacts holding the number (an index per department) and their deliveries (an index per
 * contact), never by scanning the ledger; a delivery whose contact is gone is not found.
 */
async function storeReply(tx: Executor, reply: InboundReply): Promise<number | null> {
  const holds = reply.channel === "wecom" ? sql`c.wecom_user_id = ${reply.from}` : sql`c.phone = ${reply.from}`;
  const [delivery] = await queryRows<{ id: string | number; department_id: string }>(
    tx,
    sql`select d.id, d.department_id
        from departments dep
        join contacts c on c.department_id = dep.id and ${holds}
        join lateral (
          select d.id, d.department_id, d.sent_at from deliveries d join tasks t on t.id = d.task_id
          where d.contact_id = c.id and t.channel = ${reply.channel} and d.sent_at is not null
          order by d.sent_at desc, d.id desc limit 1
        ) d on true
        order by d.sent_at desc, d.id desc limit 1`,
  );
  if (!delivery) return null;
  const detail = { channel: reply.channel, reply: reply.text.slice(0, REPLY_TEXT_MAX), ...(reply.providerId ? { providerId: reply.providerId } : {}) };
  await tx.execute(sql`
    insert into delivery_events (delivery_id, department_id, type, source, occurred_at, detail, dedupe_key)
    values (${delivery.id}, ${delivery.department_id}, 'replied', 'channel', ${reply.at}, ${JSON.stringify(detail)}::jsonb, ${reply.providerId ? `${reply.channel}:reply:${reply.providerId}` : null})
    on conflict do nothing`);
  return Number(delivery.id);
}
