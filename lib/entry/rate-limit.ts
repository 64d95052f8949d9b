import "server-only";
import { readEnv } from "@/lib/config/env";
import { AppError } from "@/lib/errors";

export type Verdict = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * Token buckets per key, in this process's memory. Rate limits exist to protect the database, so
 * counting a request must not cost a database write; the price is that each server process counts
 * on its own (N instances allow N times the rate). Memory is bounded: keys are kept in
 * least-recently-used order and the oldest are dropped past `maxKeys` (a dropped key would have
 * been idle the longest, and at worst starts again with a full bucket).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: () => number,
    private readonly maxKeys = 50_000,
  ) {}

  take(key: string, now = Date.now()): Verdict {
    const capacity = this.perMinute();
    const refillPerMs = capacity / 60_000;
    const bucket = this.buckets.get(key);
    let tokens = capacity;
    if (bucket) {
      // A wall clock stepped back (NTP) must not leave a key owing time it never used.
      tokens = Math.min(capacity, bucket.tokens + Math.max(0, now - bucket.at) * refillPerMs);
      this.buckets.delete(key);
    }
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / refillPerMs / 1000)) };
    }
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    while (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    return { ok: true };
  }

  get size(): number {
    return this.buckets.size;
  }

  clear(): void {
    this.buckets.clear();
  }
}

/** Requests per API key. */
export const apiKeyLimiter = new RateLimiter(() => readEnv().rateLimits.api);
/** Requests per client IP to any public endpoint (tracking, unsubscribe, webhooks, confirm, health). */
export const publicLimiter = new RateLimiter(() => readEnv().rateLimits.public);
/** Recorded tracking hits per delivery, so one message's trail cannot be flooded with rows. */
export const trackingLimiter = new RateLimiter(() => readEnv().rateLimits.tracking);

export function rateLimited(verdict: Extract<Verdict, { ok: false }>): AppError {
  return new AppError("rate_limited", "tooManyRequests", { params: { seconds: verdict.retryAfterSeconds }, details: { retryAfterSeconds: verdict.retryAfterSeconds } });
}

/** Throws 429 `rate_limited` when `key` has used up its bucket. */
export function limit(limiter: RateLimiter, key: string): void {
  const verdict = limiter.take(key);
  if (!verdict.ok) throw rateLimited(verdict);
}
