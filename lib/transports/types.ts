import { describeReason } from "@/lib/i18n/describe";
import { reasonsEn } from "@/lib/i18n/reasons-en";

/**
 * The one interface every outgoing-mail transport implements (Resend, an SMTP relay, the
 * outbox table). A transport sends what it is given and reports one result per message; it
 * never decides about suppression, quota or templates.
 */

export type OutgoingMessage = {
  /** The delivery this message is for; echoed in results and used for idempotency keys. */
  id: string;
  from: { address: string; name?: string };
  to: string; // one recipient per message
  replyTo?: string;
  subject: string;
  html: string;
  text: string;
  messageId: string; // "<random@sender-domain>" — set as the Message-ID header
  headers: Record<string, string>; // e.g. List-Unsubscribe, List-Unsubscribe-Post, X-Fanout-Delivery
  /**
   * Files sent with the message. One with a `cid` is an inline part of the HTML (an image the HTML
   * shows as `<img src="cid:…">`): it travels in multipart/related with that Content-ID.
   */
  attachments?: { filename: string; contentType: string; content: Buffer; cid?: string }[];
  dkim?: { domainName: string; keySelector: string; privateKey: string };
  /** The department the message is sent for; the outbox files it under that department. */
  departmentId?: string | null;
  /** What the message is, as the outbox files it: "delivery" unless said (e.g. "subscribe-confirmation"). */
  kind?: string;
  /** SMTP MAIL FROM (the Return-Path, e.g. a VERP bounce address); defaults to from.address. */
  envelopeFrom?: string;
};

export type SendResult =
  | { id: string; ok: true; providerId?: string; code?: number; reply?: string }
  | {
      id: string;
      ok: false;
      /** true: try again later (4xx, timeouts, connection errors, provider 429/5xx); false: final. */
      retry: boolean;
      code?: number;
      enhancedStatus?: string;
      reply: string;
      /** How long the provider asked us to wait before trying again, when it said so. */
      retryAfterMs?: number;
    };

export type SendFailure = Extract<SendResult, { ok: false }>;

export interface Transport {
  readonly name: "resend" | "smtp" | "outbox";
  /** Largest batch one sendBatch call should get (Resend 100). */
  readonly maxBatch: number;
  /** Where messages go, without secrets (for the console): a relay URL, an API base URL, a table. */
  readonly target?: string;
  /**
   * Sends the messages and resolves with one result per message, in the same order. Failures of
   * single messages, of the connection or of the provider are results, not rejections.
   */
  sendBatch(messages: OutgoingMessage[], options?: { idempotencyKey?: string; signal?: AbortSignal }): Promise<SendResult[]>; // one result per message, same order
  close(): Promise<void>;
}

/** Whether an envelope address has a Unicode mailbox name (RFC 6531), which only an SMTPUTF8 relay takes. */
export function needsSmtpUtf8(address: string): boolean {
  return /[^\x00-\x7f]/.test(address);
}

/**
 * The final failure of a message whose address needs SMTPUTF8 when the way it would leave does not
 * offer it: said instead of sending an address the next server would read as garbage.
 */
export function smtpUtf8Unsupported(message: Pick<OutgoingMessage, "id">): SendFailure {
  return { id: message.id, ok: false, retry: false, reply: describeReason(reasonsEn, "smtputf8Unsupported") };
}

/** "550 5.1.1 User unknown" → "5.1.1" (RFC 3463: class.subject.detail, first line only). */
export function enhancedStatusOf(reply: string | undefined): string | undefined {
  const match = /^[2-5]\d\d[ -]([245]\.\d{1,3}\.\d{1,3})(?=\s|$)/.exec(reply ?? "");
  return match?.[1];
}

/** A failure for every message: the provider or the connection failed as a whole. */
export function failAll(messages: readonly OutgoingMessage[], failure: Omit<SendFailure, "id" | "ok">): SendResult[] {
  return messages.map((message) => ({ id: message.id, ok: false, ...failure }));
}
