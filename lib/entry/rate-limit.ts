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
  private readonly buckets = new Map<string, { tokens: number; at: number; perMinute: number | null }>();

  /** `perMinute` is the default rate; a key may have its own (`take`'s third argument), which its bucket then remembers. */
  constructor(
    private readonly perMinute: () => number,
    private readonly maxKeys = 50_000,
  ) {}

  /**
   * Counts one request of `key`. `perMinute` sets the key's own rate (null: the default) and is
   * remembered with its bucket; left out, the remembered rate (or the default) applies.
   */
  take(key: string, now = Date.now(), perMinute?: number | null): Verdict {
    const bucket = this.buckets.get(key);
    const own = perMinute === undefined ? (bucket?.perMinute ?? null) : perMinute;
    const capacity = own ?? this.perMinute();
    const refillPerMs = capacity / 60_000;
    let tokens = capacity;
    if (bucket) {
      // A wall clock stepped back (NTP) must not leave a key owing time it never used.
      tokens = Math.min(capacity, bucket.tokens + Math.max(0, now - bucket.at) * refillPerMs);
      this.buckets.delete(key);
    }
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now, perMinute: own });
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / refillPerMs / 1000)) };
    }
    this.buckets.set(key, { tokens: tokens - 1, at: now, perMinute: own });
    while (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    return { ok: true };
  }

  /** Whether `key` has a bucket (has been counted and not dropped since). */
  has(key: string): boolean {
    return this.buckets.has(key);
  }

  /** Sets the rate a key's bucket remembers (null: the default), for its next requests. */
  remember(key: string, perMinute: number | null): void {
    const bucket = this.buckets.get(key);
    if (bucket) bucket.perMinute = perMinute;
  }

  get size(): number {
    return this.buckets.size;
  }

  clear(): void {
    this.buckets.clear();
  }
}

/** Requests per API key: the key's own rate (api_keys.rate_limit_per_minute) or FANOUT_RATE_LIMIT_API. */
export const apiKeyLimiter = new RateLimiter(() => readEnv().rateLimits.api);
/** Requests per client IP to any public endpoint (tracking, unsubscribe, webhooks, confirm, health). */
export const publicLimiter = new RateLimiter(() => readEnv().rateLimits.public);
/** Recorded tracking hits per delivery, so one message's trail cannot be flooded with rows. */
export const trackingLimiter = new RateLimiter(() => readEnv().rateLimits.tracking);

export function rateLimited(verdict: Extract<Verdict, { ok: false }>): AppError {
  return new AppError("rate_limited", "tooManyRequests", { params: { seconds: verdict.retryAfterSeconds }, details: { retryAfterSeconds: verdict.retryAfterSeconds } });
}

/** Throws 429 `rate_limited` when `key` has used up its bucket; `perMinute` as RateLimiter.take takes it. */
export function limit(limiter: RateLimiter, key: string, perMinute?: number | null): void {
  const verdict = limiter.take(key, Date.now(), perMinute);
  if (!verdict.ok) throw rateLimited(verdict);
}
