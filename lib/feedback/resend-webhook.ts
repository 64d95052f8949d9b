import "server-only";
import crypto from "node:crypto";
import { sql } from "drizzle-orm";
import { queryRows, type Database } from "@/db/client";
import type { BounceCategory } from "@/db/schema";
import { readEnv } from "@/lib/config/env";
import { classifyDiagnostic } from "@/lib/feedback/bounce";
import { applyFeedback, type DeliveryFeedback, type FeedbackResult } from "./apply";

/**
 * Resend's webhooks (svix): `svix-id`, `svix-timestamp` and `svix-signature` ("v1,<base64>",
 * space-separated when the secret is being rotated) over `${id}.${timestamp}.${body}` with the
 * base64 key after "whsec_". Timestamps more than five minutes off are refused (replays).
 */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export function verifySvixSignature(secret: string, headers: { id: string | null; timestamp: string | null; signature: string | null }, body: string, now = Date.now()): boolean {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(now / 1000 - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const key = Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
  if (key.length === 0) return false;
  const expected = crypto.createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  return signature.split(" ").some((candidate) => {
    const [version, value] = candidate.split(",");
    if (version !== "v1" || !value) return false;
    const given = Buffer.from(value, "base64");
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  });
}

export function resendWebhookSecret(): string | undefined {
  return readEnv().mail.resendWebhookSecret;
}

type ResendEvent = {
  type?: unknown;
  created_at?: unknown;
  data?: {
    email_id?: unknown;
    bounce?: { type?: unknown; subType?: unknown; message?: unknown };
    failed?: { reason?: unknown };
    complaint?: { type?: unknown };
  };
};

export type ResendEventResult = FeedbackResult | "ignored";

/** Applies one verified event; events for messages Fanout did not send through a task are ignored. */
export async function handleResendEvent(db: Database, eventId: string, event: ResendEvent): Promise<ResendEventResult> {
  const emailId = typeof event.data?.email_id === "string" ? event.data.email_id : null;
  const feedback = feedbackOf(event);
  if (!emailId || !feedback) return "ignored";
  const [delivery] = await queryRows<{ id: string | number }>(db, sql`select id from deliveries where provider_id = ${emailId} limit 1`);
  if (!delivery) return "ignored";
  const occurredAt = typeof event.created_at === "string" && !Number.isNaN(Date.parse(event.created_at)) ? new Date(event.created_at) : undefined;
  return applyFeedback(db, Number(delivery.id), feedback, { source: "resend", dedupeKey: `resend:${eventId}`, occurredAt, detail: { event: event.type, emailId } });
}

function feedbackOf(event: ResendEvent): DeliveryFeedback | null {
  switch (event.type) {
    case "email.sent":
      return { kind: "sent" };
    case "email.delivered":
      return { kind: "delivered" };
    case "email.delivery_delayed":
      return { kind: "delay" };
    case "email.complained":
      return { kind: "complaint", feedbackType: text(event.data?.complaint?.type) || "abuse" };
    case "email.bounced":
      return bounceOf(event.data?.bounce);
    case "email.failed": {
      const reason = text(event.data?.failed?.reason);
      return { kind: "bounce", event: "failed", diagnostic: reason || "The provider could not send the message", status: null, ...classifyDiagnostic({ text: reason }) };
    }
    default:
      return null;
  }
}

/** Resend passes on Amazon SES's bounce types: Permanent / Transient / Undetermined, with a subtype. */
function bounceOf(bounce: { type?: unknown; subType?: unknown; message?: unknown } | undefined): DeliveryFeedback {
  const type = text(bounce?.type);
  const subType = text(bounce?.subType);
  const message = text(bounce?.message);
  const status = /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(message)?.[1] ?? null;
  const fromText = classifyDiagnostic({ status, text: message });
  const hard = type === "Permanent";
  const category = SUBTYPE_CATEGORY[subType] ?? (hard && fromText.category === "other" ? "user_unknown" : fromText.category);
  return { kind: "bounce", category, hard, status, diagnostic: [type, subType, message].filter(Boolean).join(" · ") };
}

const SUBTYPE_CATEGORY: Record<string, BounceCategory> = {
  NoEmail: "user_unknown",
  Suppressed: "user_unknown",
  OnAccountSuppressionList: "user_unknown",
  MailboxFull: "mailbox_full",
  MessageTooLarge: "rejected",
  ContentRejected: "rejected",
  AttachmentRejected: "rejected",
};

function text(value: unknown): string {
  return typeof value === "string" ? value.trim() : "";
}
