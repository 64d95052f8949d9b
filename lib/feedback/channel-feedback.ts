import "server-only";
import { sql } from "drizzle-orm";
import { queryRows, type Database } from "@/db/client";
import { systemActor } from "@/lib/access/actor";
import { recordAudit } from "@/lib/audit/record";
import { isOptOutReply } from "@/lib/channels/opt-out";
import type { InboundReply, MessagingChannel, Receipt } from "@/lib/channels/types";
import { recordOpen } from "./tracking";
import { applyFeedback, type FeedbackResult } from "./apply";

/*
 * What the channel providers' webhooks tell us (lib/channels parses and verifies them): receipts
 * move a delivery as a mail provider's events do, and a reply that is an opt-out word ("TD", "退订",
 * "STOP") takes the number off that channel at once, in the same request.
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

export type ReplyResult = { optedOut: boolean; departments: number };

/**
 * A reply: an opt-out word puts the number on the channel's suppression list of every department
 * (the company sends from one number and one signature, so "退订" is said to all of it), audited
 * once per department where it was new; other text is not acted on.
 */
export async function applyChannelReply(db: Database, reply: InboundReply): Promise<ReplyResult> {
  if (!isOptOutReply(reply.text)) return { optedOut: false, departments: 0 };
  const word = reply.text.trim().slice(0, 20);
  const by = `${reply.channel} reply`;
  return db.transaction(async (tx) => {
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
    return { optedOut: true, departments: added.length };
  });
}
