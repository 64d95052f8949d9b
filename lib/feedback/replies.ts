import "server-only";
import crypto from "node:crypto";
import { sql } from "drizzle-orm";
import { simpleParser } from "mailparser";
import { affectedRows, queryRows, type Database } from "@/db/client";
import { isAutomatic } from "@/lib/feedback/bounce/kind";
import { MAX_HEADER_BLOCK_CHARS, headerValue, parseHeaderBlock, splitHeadBody, toBinaryString } from "@/lib/feedback/bounce/mime";
import { emitWebhookEvent } from "@/lib/webhooks/emit";
import { oneLine } from "@/lib/templates/render";
import { forwardReply } from "./reply-forward";

/**
 * A reply to a task's message (the task collects replies: its Reply-To is the delivery's own
 * `reply+<token>@…`), as it comes back through the SMTP entrance or the inbound webhook. It becomes
 * an event on its delivery: `replied` when a person wrote it, `auto_reply` for an out-of-office or
 * any other machine's answer (lib/feedback/bounce/kind.ts isAutomatic), and the task counts each
 * delivery once in `replied` or `auto_replied`. The same reply delivered twice (a retrying server)
 * is recorded once, by its Message-ID. When the task names a mailbox, the reply is forwarded there
 * after it is recorded; a failed forward is logged and the reply stays recorded.
 */

/** Characters of a reply's text kept on its event (the report shows the start of it). */
export const REPLY_TEXT_MAX = 2000;

export type ReplyOutcome = { outcome: "replied" | "auto_reply"; deliveryId: number; duplicate: boolean; forwarded: boolean } | { outcome: "not_found"; deliveryId: number };

type ReplyDelivery = { id: string | number; department_id: string; task_id: string; email: string; reply_forward_to: string | null };

export async function recordReply(db: Database, deliveryId: number, raw: Buffer, log: (message: string, error: unknown) => void = () => {}): Promise<ReplyOutcome> {
  const headers = parseHeaderBlock(splitHeadBody(toBinaryString(raw, MAX_HEADER_BLOCK_CHARS)).head);
  const automatic = isAutomatic(headers) || /multipart\/report/i.test(headerValue(headers, "content-type") ?? "");
  const parsed = await simpleParser(raw, { skipHtmlToText: false, skipImageLinks: true, checksumAlgo: false });
  const subject = oneLine(parsed.subject ?? "").slice(0, 300);
  const text = (parsed.text ?? "").trim().slice(0, REPLY_TEXT_MAX);
  // Without a Message-ID the bytes identify the reply, so a retried delivery is still the same one.
  const identity = parsed.messageId ?? crypto.createHash("sha256").update(raw).digest("hex");
  const type = automatic ? "auto_reply" : "replied";

  const recorded = await db.transaction(async (tx) => {
    const [delivery] = await queryRows<ReplyDelivery>(
      tx,
      sql`select d.id, d.department_id, d.task_id, d.email, t.reply_forward_to
          from deliveries d join tasks t on t.id = d.task_id where d.id = ${deliveryId} for update of d`,
    );
    if (!delivery) return null;
    const detail = { channel: "email", reply: text, subject };
    const dedupeKey = `email:${type}:${crypto.createHash("sha256").update(`${deliveryId}|${identity}`).digest("hex").slice(0, 40)}`;
    const inserted = affectedRows(
      await tx.execute(sql`
        insert into delivery_events (delivery_id, department_id, type, source, detail, dedupe_key)
        values (${deliveryId}, ${delivery.department_id}, ${type}, 'inbound', ${JSON.stringify(detail)}::jsonb, ${dedupeKey})
        on conflict do nothing`),
    );
    if (inserted === 0) return { delivery, duplicate: true };
    const [earlier] = await queryRows<{ n: number }>(
      tx,
      sql`select count(*)::int as n from delivery_events where delivery_id = ${deliveryId} and type = ${type}`,
    );
    // A person's reply is news to the department's systems (a CRM); an out-of-office is not.
    if (!automatic) await emitWebhookEvent(tx, delivery.department_id, "replied", { deliveryId, taskId: delivery.task_id, email: delivery.email, subject });
    if ((earlier?.n ?? 0) === 1) {
      await tx.execute(
        automatic
          ? sql`update tasks set auto_replied = auto_replied + 1, updated_at = now() where id = ${delivery.task_id}`
          : sql`update tasks set replied = replied + 1, updated_at = now() where id = ${delivery.task_id}`,
      );
    }
    return { delivery, duplicate: false };
  });
  if (!recorded) return { outcome: "not_found", deliveryId };

  let forwarded = false;
  const forwardTo = recorded.delivery.reply_forward_to;
  // Out-of-office answers are counted, not forwarded: the mailbox wants what people wrote.
  if (forwardTo && !recorded.duplicate && !automatic) {
    try {
      await forwardReply(db, { departmentId: recorded.delivery.department_id, to: forwardTo, recipient: recorded.delivery.email, subject, text, raw, replyTo: parsed.from?.value[0]?.address });
      forwarded = true;
    } catch (error) {
      log(`A reply to delivery ${deliveryId} was recorded but could not be forwarded to ${forwardTo}`, error);
    }
  }
  return { outcome: type, deliveryId, duplicate: recorded.duplicate, forwarded };
}

