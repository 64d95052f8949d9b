import "server-only";
import type { Executor } from "@/db/client";
import { readEnv } from "@/lib/config/env";
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

/**
 * The transport the environment asks for: RESEND_API_KEY → Resend (RESEND_BASE_URL to point it
 * elsewhere); else SMTP_URL → that relay; else the outbox table. Call `close()` when done.
 */
export function transportFromEnv(db: Executor, env?: Env): Transport {
  const { resendApiKey, resendBaseUrl, smtpUrl } = readEnv(env).mail;
  if (resendApiKey) return createResendTransport({ apiKey: resendApiKey, baseUrl: resendBaseUrl });
  if (smtpUrl) return createSmtpTransport({ url: smtpUrl });
  return createOutboxTransport(db);
}

/** What the console shows about outgoing mail: the transport and where it sends, without secrets. */
export function describeTransport(env?: Env): { name: Transport["name"]; target: string } {
  const { resendApiKey, resendBaseUrl, smtpUrl } = readEnv(env).mail;
  if (resendApiKey) return { name: "resend", target: (resendBaseUrl ?? RESEND_DEFAULT_BASE_URL).replace(/\/+$/, "") };
  if (smtpUrl) return { name: "smtp", target: describeSmtpUrl(smtpUrl) };
  return { name: "outbox", target: "outbox_messages table (shown in the console)" };
}
