import type { Executor } from "@/db/client";
import { createOutboxTransport } from "./outbox";
import { createResendTransport, RESEND_DEFAULT_BASE_URL } from "./resend";
import { createSmtpTransport, describeSmtpUrl } from "./smtp";
import type { Transport } from "./types";

export type { OutgoingMessage, SendResult, SendFailure, Transport } from "./types";
export { buildMime } from "./mime";
export { createOutboxTransport } from "./outbox";
export { createResendTransport } from "./resend";
export { createSmtpTransport } from "./smtp";

type Env = Record<string, string | undefined>;

const set = (value: string | undefined) => (value && value.trim() !== "" ? value.trim() : undefined);

/**
 * The transport the environment asks for: RESEND_API_KEY → Resend (RESEND_BASE_URL to point it
 * elsewhere); else SMTP_URL → that relay; else the outbox table. Call `close()` when done.
 */
export function transportFromEnv(db: Executor, env: Env = process.env): Transport {
  const apiKey = set(env.RESEND_API_KEY);
  if (apiKey) return createResendTransport({ apiKey, baseUrl: set(env.RESEND_BASE_URL) });
  const smtpUrl = set(env.SMTP_URL);
  if (smtpUrl) return createSmtpTransport({ url: smtpUrl });
  return createOutboxTransport(db);
}

/** What the console shows about outgoing mail: the transport and where it sends, without secrets. */
export function describeTransport(env: Env = process.env): { name: Transport["name"]; target: string } {
  if (set(env.RESEND_API_KEY)) return { name: "resend", target: (set(env.RESEND_BASE_URL) ?? RESEND_DEFAULT_BASE_URL).replace(/\/+$/, "") };
  const smtpUrl = set(env.SMTP_URL);
  if (smtpUrl) return { name: "smtp", target: describeSmtpUrl(smtpUrl) };
  return { name: "outbox", target: "outbox_messages table (shown in the console)" };
}
