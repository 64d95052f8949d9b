import type { InboundReply, Receipt } from "./types";
import { asArray, asRecord, badField, hmac, safeEqual, textOf, toE164, webhookJson, webhookText, type WebhookBody } from "./webhook";

/**
 * Meta's webhooks for the WhatsApp Business Cloud API. Subscribing is a GET handshake
 * (`hub.mode=subscribe`, `hub.verify_token` we chose, `hub.challenge` to echo); every event is a
 * POST signed in `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the raw body bytes keyed by
 * the app secret — the raw bytes, since Meta escapes non-ASCII text and re-serialising changes them.
 */

/** The challenge to answer with when the handshake is ours, or null (answer 403). */
export function whatsappChallenge(query: URLSearchParams, verifyToken: string): string | null {
  const token = query.get("hub.verify_token");
  const challenge = query.get("hub.challenge");
  if (query.get("hub.mode") !== "subscribe" || token === null || challenge === null) return null;
  return safeEqual(token, verifyToken) ? challenge : null;
}

/** Whether the body carries the app's signature; 413 past the byte limit before any hashing. */
export function verifyWhatsAppSignature(body: WebhookBody, header: string | null, appSecret: string): boolean {
  webhookText(body);
  if (!header?.startsWith("sha256=")) return false;
  return safeEqual(header.slice("sha256=".length).toLowerCase(), hmac("sha256", appSecret, body, "hex"));
}

const STATUSES = new Set(["sent", "delivered", "read", "failed"]);

/**
 * Statuses as receipts and text (or quick-reply button) messages as replies, from every entry and
 * change of one notification. Other message types (media, reactions) and other fields are not
 * replies a send log keeps, and are left out.
 */
export function parseWhatsAppWebhook(body: WebhookBody): { receipts: Receipt[]; replies: InboundReply[] } {
  const notification = asRecord(webhookJson(body));
  if (!notification || !Array.isArray(notification.entry)) throw badField("entry", "required");
  const receipts: Receipt[] = [];
  const replies: InboundReply[] = [];
  asArray(notification.entry).forEach((entry, e) => {
    asArray(asRecord(entry)?.changes).forEach((change, c) => {
      const value = asRecord(asRecord(change)?.value);
      const path = `entry[${e}].changes[${c}].value`;
      asArray(value?.statuses).forEach((status, s) => {
        const receipt = receiptOf(asRecord(status), `${path}.statuses[${s}]`);
        if (receipt) receipts.push(receipt);
      });
      asArray(value?.messages).forEach((message, m) => {
        const reply = replyOf(asRecord(message), `${path}.messages[${m}]`);
        if (reply) replies.push(reply);
      });
    });
  });
  return { receipts, replies };
}

function unixTime(value: unknown, path: string): Date {
  const seconds = textOf(value);
  if (!seconds || !/^\d{1,12}$/.test(seconds)) throw badField(path, "notNumber");
  return new Date(Number(seconds) * 1000);
}

function receiptOf(status: Record<string, unknown> | undefined, path: string): Receipt | null {
  const providerId = textOf(status?.id);
  if (!providerId) throw badField(`${path}.id`, "required");
  const state = textOf(status?.status) ?? "";
  if (!STATUSES.has(state)) return null;
  const at = unixTime(status?.timestamp, `${path}.timestamp`);
  const error = asRecord(asArray(status?.errors)[0]);
  const reason = error
    ? [textOf(error.code), textOf(error.title) ?? textOf(error.message), textOf(asRecord(error.error_data)?.details)].filter(Boolean).join(" ")
    : "";
  return { providerId, status: state as Receipt["status"], at, ...(state === "failed" && reason ? { reason } : {}) };
}

function replyOf(message: Record<string, unknown> | undefined, path: string): InboundReply | null {
  const text = textOf(asRecord(message?.text)?.body) ?? textOf(asRecord(message?.button)?.text);
  if (text === undefined) return null;
  const from = textOf(message?.from);
  if (!from) throw badField(`${path}.from`, "required");
  const providerId = textOf(message?.id);
  return { channel: "whatsapp", from: toE164(from), text, at: unixTime(message?.timestamp, `${path}.timestamp`), ...(providerId ? { providerId } : {}) };
}
