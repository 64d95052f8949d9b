import crypto from "node:crypto";
import { AppError } from "@/lib/errors";

/**
 * What every provider webhook parser shares: the body under a byte limit (checked again here, so a
 * caller that forgot the route's limit still cannot feed a parser megabytes), JSON with a typed
 * error, and signatures compared in constant time.
 */

/** Largest webhook body a parser reads: Meta batches up to 1,000 statuses, far below this. */
export const CHANNEL_WEBHOOK_MAX_BYTES = 1024 * 1024;

export type WebhookBody = string | Uint8Array;

/** The body as text; 413 `payload_too_large` past the limit. */
export function webhookText(body: WebhookBody, maxBytes = CHANNEL_WEBHOOK_MAX_BYTES): string {
  const bytes = typeof body === "string" ? Buffer.byteLength(body, "utf8") : body.byteLength;
  if (bytes > maxBytes) throw new AppError("payload_too_large", "bodyTooLarge", { params: { max: maxBytes }, details: { maxBytes } });
  return typeof body === "string" ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8");
}

export function webhookJson(body: WebhookBody, maxBytes?: number): unknown {
  const text = webhookText(body, maxBytes);
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("invalid_input", "bodyNotJson");
  }
}

/** A malformed field of a webhook body, named by its path ("entry[0].changes[1].value.statuses[2].id"). */
export function badField(path: string, problem: "required" | "notNumber"): AppError {
  return new AppError("invalid_input", "bodyInvalid", { params: { path, problem } });
}

/** Whether two strings are equal, in time that does not depend on where they differ (or their lengths). */
export function safeEqual(given: string, expected: string): boolean {
  const a = crypto.createHash("sha256").update(given).digest();
  const b = crypto.createHash("sha256").update(expected).digest();
  return crypto.timingSafeEqual(a, b) && given.length === expected.length;
}

export function hmac(algorithm: "sha1" | "sha256", key: string, data: string | Uint8Array, encoding: "base64" | "hex"): string {
  return crypto.createHmac(algorithm, key).update(data).digest(encoding);
}

export const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

export const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** A string field, or a number written as one; undefined otherwise. */
export function textOf(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

/** "+8613800138000" from what providers write: "+86…", "86…" (WhatsApp's wa_id) or a bare number. */
export function toE164(number: string, defaultCountryCode?: string): string {
  const digits = number.replace(/[\s()-]/g, "");
  if (digits.startsWith("+")) return digits;
  if (digits.startsWith("00")) return `+${digits.slice(2)}`;
  return defaultCountryCode ? `+${defaultCountryCode}${digits}` : `+${digits}`;
}
