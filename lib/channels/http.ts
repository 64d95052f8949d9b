import type { SendFailure, SendResult } from "@/lib/transports/types";
import { channelReason } from "./reasons";

/** Largest provider answer we read; an SMS or chat API answers in a few hundred bytes. */
export const MAX_ANSWER_BYTES = 256 * 1024;
/** Longest a provider call may take before it counts as a network failure (and is retried). */
export const DEFAULT_TIMEOUT_MS = 15_000;
/** Longest wait a Retry-After may ask of us that we pass on; beyond it the engine's own back-off rules. */
const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

export type Failure = Omit<SendFailure, "id" | "ok">;
/** A send result before the message's id is put on it. */
export type ResultBody = Omit<Extract<SendResult, { ok: true }>, "id"> | Omit<SendFailure, "id">;
export type ProviderAnswer = { status: number; headers: Headers; text: string; json: unknown };
export type CallOutcome = { ok: true; answer: ProviderAnswer } | { ok: false; failure: Failure };

/** One failure result per message: the provider or the connection failed as a whole. */
export function failEach(messages: readonly { id: string }[], failure: Failure): SendResult[] {
  return messages.map((message) => ({ id: message.id, ok: false, ...failure }));
}

/** Retry-After as seconds or an HTTP date, in milliseconds (undefined when absent or unreadable). */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  const ms = /^\d{1,9}$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS) : undefined;
}

/**
 * One HTTP call to a provider: a timeout, the caller's abort, the answer read under a byte limit
 * and parsed as JSON when it is. A network error, a timeout or an unreadable answer is a retryable
 * failure; every HTTP status is an answer for the caller to map.
 */
export async function callProvider(provider: string, url: string, init: RequestInit, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<CallOutcome> {
  if (options.signal?.aborted) return { ok: false, failure: { retry: true, reply: channelReason("aborted") } };
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const response = await fetch(url, { ...init, signal, redirect: "error" });
    const text = await readLimited(response, MAX_ANSWER_BYTES);
    if (text === null) return { ok: false, failure: { retry: true, code: response.status, reply: channelReason("answered", { provider, detail: `${response.status} with more than ${MAX_ANSWER_BYTES} bytes` }) } };
    return { ok: true, answer: { status: response.status, headers: response.headers, text, json: parseJson(text) } };
  } catch (error) {
    // Stopped while the request was out: the provider may have taken it. Said, not hidden, since
    // none of these APIs has an idempotency key to make the retry harmless.
    if (options.signal?.aborted) return { ok: false, failure: { retry: true, reply: channelReason("unknownOutcome", { provider, detail: "the batch was aborted" }) } };
    if (timeout.aborted) return { ok: false, failure: { retry: true, reply: channelReason("unknownOutcome", { provider, detail: `no answer within ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms` }) } };
    return { ok: false, failure: { retry: true, reply: channelReason("unreachable", { provider, detail: describeNetworkError(error) }) } };
  }
}

/** The body as text, or null past `maxBytes` (the rest is not read). */
async function readLimited(response: Response, maxBytes: number): Promise<string | null> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** "connect ECONNREFUSED 127.0.0.1:9" rather than undici's "fetch failed". */
function describeNetworkError(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * A retryable failure for 429 and 5xx answers (or any answer, when the provider's own code says
 * it is momentary), with the wait the provider asked for.
 */
export function transientFailure(provider: string, answer: ProviderAnswer, detail: string, momentary = false): Failure | undefined {
  if (!momentary && answer.status !== 429 && answer.status < 500) return undefined;
  const wait = retryAfterMs(answer.headers);
  return { retry: true, code: answer.status, reply: channelReason("answered", { provider, detail: `${answer.status}: ${detail}` }), ...(wait !== undefined ? { retryAfterMs: wait } : {}) };
}

/** Runs `work` over the items with at most `limit` at a time, answers in the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A provider's own text, one line and bounded, for a stored reason. */
export function providerText(value: unknown, max = 300): string {
  const text = typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value);
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
