import "server-only";
import crypto from "node:crypto";
import { Resend, type CreateBatchEmailOptions, type CreateEmailOptions } from "resend";
import { readEnv } from "@/lib/config/env";
import { extraHeaders } from "./mime";
import { failAll, needsSmtpUtf8, smtpUtf8Unsupported, type OutgoingMessage, type SendResult, type Transport } from "./types";

export const RESEND_DEFAULT_BASE_URL = "https://api.resend.com";
/** Resend's batch endpoint takes at most 100 emails. */
export const RESEND_MAX_BATCH = 100;

export type ResendTransportOptions = {
  apiKey: string;
  /** API base URL; else RESEND_BASE_URL; else the SDK's default (https://api.resend.com). */
  baseUrl?: string;
  /** Further attempts after a 429, a 5xx or a network error, before giving retry results (default 3). */
  maxRetries?: number;
  /** Longest single wait we accept; a longer Retry-After (a daily quota) ends the attempts at once (default 30 s). */
  maxWaitMs?: number;
  /** Space requests of this transport so they start at most this many per second (default: unpaced). */
  requestsPerSecond?: number;
};

type ApiResponse<T> = { data: T; error: null; headers: Record<string, string> | null } | { data: null; error: { message: string; statusCode: number | null; name: string }; headers: Record<string, string> | null };
type BatchBody = { data: { id: string }[]; errors?: { index: number; message: string }[] };

type CallOutcome<T> =
  | { ok: true; data: T }
  | { ok: false; retry: boolean; code?: number; reply: string; retryAfterMs?: number; aborted?: boolean };

/**
 * Sends through Resend with the `resend` SDK. Messages without attachments go through
 * `batch.send` (POST /emails/batch) in chunks of at most 100, with permissive batch validation so
 * one invalid address fails alone; Resend's batch endpoint does not take attachments, so messages
 * with attachments go one by one through `emails.send` (POST /emails). Every request carries an
 * idempotency key derived from the caller's key (or from the delivery ids), so repeating a batch
 * within Resend's 24 h sends nothing twice.
 */
export function createResendTransport(options: ResendTransportOptions): Transport {
  const baseUrl = (options.baseUrl ?? readEnv().mail.resendBaseUrl ?? RESEND_DEFAULT_BASE_URL).replace(/\/+$/, "");
  // The SDK honours RESEND_BASE_URL by itself; passing the URL explicitly lets one process talk to two.
  const resend = new Resend(options.apiKey, { baseUrl });
  const maxRetries = Math.max(0, options.maxRetries ?? 3);
  const maxWaitMs = options.maxWaitMs ?? 30_000;
  let nextSlot = 0;

  async function pace(signal?: AbortSignal) {
    if (!options.requestsPerSecond) return;
    const now = Date.now();
    const at = Math.max(now, nextSlot);
    nextSlot = at + 1000 / options.requestsPerSecond;
    if (at > now) await sleep(at - now, signal);
  }

  /** One API call with bounded back-off on 429, 5xx and network errors (safe: the key makes repeats harmless). */
  async function call<T>(request: () => Promise<ApiResponse<T>>, signal?: AbortSignal): Promise<CallOutcome<T>> {
    for (let attempt = 0; ; attempt++) {
      await pace(signal);
      if (signal?.aborted) return { ok: false, retry: true, aborted: true, reply: "not sent: the batch was aborted" };
      const response = await request();
      if (response.error === null) return { ok: true, data: response.data };
      const { statusCode, name, message } = response.error;
      const code = statusCode ?? undefined;
      const reply = `${name}: ${message}`;
      if (signal?.aborted) {
        return { ok: false, retry: true, aborted: true, code, reply: `aborted while sending, outcome unknown (a retry with the same idempotency key is safe): ${reply}` };
      }
      const transient = code === undefined || code === 429 || code >= 500 || name === "concurrent_idempotent_requests";
      if (!transient) {
        // 401/403 are the account's (a wrong key, an unverified domain), not the messages': worth another
        // try once fixed. 409 (the key was used for another payload) says nothing was sent by this request,
        // so it must not end the deliveries as failed either. Other 4xx refuse the request's content: final.
        return { ok: false, retry: code === 401 || code === 403 || code === 409, code, reply };
      }
      const wait = waitBeforeRetry(response.headers, attempt);
      if (attempt >= maxRetries || wait > maxWaitMs) return { ok: false, retry: true, code, reply, retryAfterMs: wait };
      await sleep(wait, signal);
    }
  }

  async function sendChunk(chunk: OutgoingMessage[], key: string, signal?: AbortSignal): Promise<SendResult[]> {
    const emails: CreateBatchEmailOptions[] = chunk.map((message) => toResendEmail(message));
    const outcome = await call(() => resend.batch.send(emails, { idempotencyKey: key, batchValidation: "permissive", signal }) as Promise<ApiResponse<BatchBody>>, signal);
    if (!outcome.ok) return failAll(chunk, withoutFlags(outcome));
    const failed = new Map((outcome.data.errors ?? []).map((error) => [error.index, error.message]));
    const ids = outcome.data.data ?? [];
    let next = 0;
    // Permissive mode lists ids of the created emails only, in request order; errors name their index.
    return chunk.map((message, index): SendResult => {
      const refusal = failed.get(index);
      if (refusal !== undefined) return { id: message.id, ok: false, retry: false, code: 422, reply: refusal };
      const created = ids[next++];
      return created ? { id: message.id, ok: true, providerId: created.id, code: 200 } : { id: message.id, ok: false, retry: true, reply: "Resend's answer held no id for this message" };
    });
  }

  async function sendSingle(message: OutgoingMessage, key: string, signal?: AbortSignal): Promise<SendResult> {
    const email: CreateEmailOptions = {
      ...toResendEmail(message),
      attachments: message.attachments?.map((attachment) => ({
        filename: attachment.filename,
        contentType: attachment.contentType,
        content: attachment.content.toString("base64"),
        // Resend sends a part with a content id inline, for the HTML's `cid:` references.
        ...(attachment.cid ? { contentId: attachment.cid } : {}),
      })),
    };
    const outcome = await call(() => resend.emails.send(email, { idempotencyKey: key, signal }) as Promise<ApiResponse<{ id: string }>>, signal);
    if (!outcome.ok) return { id: message.id, ok: false, ...withoutFlags(outcome) };
    return { id: message.id, ok: true, providerId: outcome.data.id, code: 200 };
  }

  return {
    name: "resend",
    maxBatch: RESEND_MAX_BATCH,
    target: baseUrl,
    async sendBatch(messages, sendOptions) {
      const signal = sendOptions?.signal;
      const results: SendResult[] = new Array(messages.length);
      const batchable: number[] = [];
      const single: number[] = [];
      messages.forEach((message, index) => {
        // Resend documents no support for Unicode mailbox names (RFC 6531) and its address check is
        // not ours: such a message is refused here, as an SMTP relay without SMTPUTF8 is.
        if (needsSmtpUtf8(message.to) || needsSmtpUtf8(message.from.address)) results[index] = smtpUtf8Unsupported(message);
        else (message.attachments?.length ? single : batchable).push(index);
      });

      for (let start = 0, chunkIndex = 0; start < batchable.length; start += RESEND_MAX_BATCH, chunkIndex++) {
        const indexes = batchable.slice(start, start + RESEND_MAX_BATCH);
        const chunk = indexes.map((index) => messages[index]!);
        const key = idempotencyHeaderForChunk(sendOptions?.idempotencyKey, String(chunkIndex), chunk);
        const chunkResults = await sendChunk(chunk, key, signal);
        indexes.forEach((index, i) => (results[index] = chunkResults[i]!));
      }
      for (const index of single) {
        const message = messages[index]!;
        results[index] = await sendSingle(message, idempotencyHeaderForChunk(sendOptions?.idempotencyKey, `a:${message.id}`, [message]), signal);
      }
      return results;
    },
    async close() {},
  };
}

/**
 * The Idempotency-Key header of one request to Resend: the caller's key and the chunk's position ("k:0", "k:1" …, "k:a:<id>" for
 * a message sent alone), or, without a caller's key, a hash of the delivery ids. Resend takes
 * keys of up to 256 characters; longer ones are hashed.
 */
function idempotencyHeaderForChunk(given: string | undefined, part: string, chunk: readonly OutgoingMessage[]): string {
  const key = given !== undefined ? `${given}:${part}` : `fanout:${sha256(chunk.map((message) => message.id).join(","))}`;
  return key.length <= 256 ? key : `fanout:${sha256(key)}`;
}

function sha256(text: string) {
  return crypto.createHash("sha256").update(text).digest("hex");
}

/** The Resend email for one message: Message-ID and List-Unsubscribe travel as custom headers. */
export function toResendEmail(message: OutgoingMessage): CreateBatchEmailOptions {
  const tags = /^[A-Za-z0-9_-]{1,256}$/.test(message.id) ? [{ name: "fanout_delivery", value: message.id }] : undefined;
  return {
    from: formatAddress(message.from),
    to: [message.to],
    subject: message.subject,
    html: message.html,
    text: message.text,
    ...(message.replyTo ? { replyTo: message.replyTo } : {}),
    headers: { ...extraHeaders(message.headers), "Message-ID": message.messageId },
    ...(tags ? { tags } : {}),
  };
}

/** `Name <address>`, the display name quoted when it holds characters that need it. */
export function formatAddress(from: { address: string; name?: string }): string {
  if (!from.name) return from.address;
  const name = /[()<>[\]:;@\\,."]/.test(from.name) ? `"${from.name.replace(/(["\\])/g, "\\$1")}"` : from.name;
  return `${name} <${from.address}>`;
}

/**
 * Retry-After in seconds or as an HTTP date, else RateLimit-Reset in seconds, else exponential
 * back-off from half a second (capped at 8 s, with a little jitter).
 */
export function waitBeforeRetry(headers: Record<string, string> | null, attempt: number, now = Date.now()): number {
  const retryAfter = headers?.["retry-after"]?.trim();
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.round(Number(retryAfter) * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = headers?.["ratelimit-reset"]?.trim();
  if (reset && /^\d+(\.\d+)?$/.test(reset)) return Math.round(Number(reset) * 1000);
  return Math.min(8000, 500 * 2 ** attempt) + Math.floor(Math.random() * 100);
}

function withoutFlags(outcome: Extract<CallOutcome<unknown>, { ok: false }>) {
  const { retry, code, reply, retryAfterMs } = outcome;
  return { retry, reply, ...(code !== undefined ? { code } : {}), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
