import type { InboundReply, Receipt } from "./types";
import { hmac, safeEqual, toE164, webhookText, type WebhookBody } from "./webhook";

/**
 * Twilio's webhooks (status callbacks and incoming messages) are form posts signed in
 * `X-Twilio-Signature`: base64 HMAC-SHA1, keyed by the auth token, of the full URL Twilio posted
 * to (scheme, host, path and query, exactly as configured) followed by every POST parameter's
 * name and value, sorted by name.
 */

export function twilioSignature(authToken: string, url: string, params: URLSearchParams): string {
  const names = [...new Set(params.keys())].sort();
  const data = names.map((name) => params.getAll(name).sort().map((value) => `${name}${value}`).join("")).join("");
  return hmac("sha1", authToken, `${url}${data}`, "base64");
}

/**
 * The webhook's parameters when its signature holds, or null. The body is read under the limit
 * first (413 past it): the signature covers the parameters, so they must be read to check it.
 */
export function verifyTwilioWebhook(body: WebhookBody, request: { url: string; signature: string | null; authToken: string }): URLSearchParams | null {
  const params = new URLSearchParams(webhookText(body));
  if (!request.signature) return null;
  return safeEqual(request.signature, twilioSignature(request.authToken, request.url, params)) ? params : null;
}

const RECEIPT_STATUS: Record<string, Receipt["status"]> = { sent: "sent", delivered: "delivered", read: "read", undelivered: "failed", failed: "failed" };

/**
 * A status callback as a receipt; null for the steps before the carrier (queued, accepted,
 * sending, scheduled), which say nothing a delivery log needs. Twilio sends no event time, so
 * the time is when it arrived.
 */
export function parseTwilioStatus(params: URLSearchParams, at = new Date()): Receipt | null {
  const providerId = params.get("MessageSid") ?? params.get("SmsSid");
  const status = RECEIPT_STATUS[params.get("MessageStatus") ?? params.get("SmsStatus") ?? ""];
  if (!providerId || !status) return null;
  const errorCode = params.get("ErrorCode");
  const reason = status === "failed" ? [errorCode, params.get("ErrorMessage")].filter(Boolean).join(" ") : "";
  return { providerId, status, at, ...(reason ? { reason } : {}) };
}

/** An incoming SMS as a reply; null when it has no sender. */
export function parseTwilioInbound(params: URLSearchParams, at = new Date()): InboundReply | null {
  const from = params.get("From");
  if (!from) return null;
  const providerId = params.get("MessageSid") ?? params.get("SmsSid");
  return { channel: "sms", from: toE164(from), text: params.get("Body") ?? "", at, ...(providerId ? { providerId } : {}) };
}
