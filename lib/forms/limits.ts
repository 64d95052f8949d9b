/**
 * Sign-ups per client IP and form, counted in this process's memory as lib/entry/rate-limit.ts
 * counts requests (each instance counts on its own): a window of the last hour's times per key,
 * the least recently used keys dropped past `maxKeys`. Beyond the generic per-IP limit, this one
 * keeps one address from filling a pool with pending contacts and confirmation mail.
 */
export class SignupCounter {
  private readonly times = new Map<string, number[]>();

  constructor(
    private readonly perHour: number,
    private readonly maxKeys = 50_000,
  ) {}

  /** Counts one sign-up of `key` when it fits; answers the seconds to wait when it does not. */
  take(key: string, now = Date.now()): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const recent = (this.times.get(key) ?? []).filter((at) => at > now - 3_600_000 && at <= now);
    this.times.delete(key);
    if (recent.length >= this.perHour) {
      this.times.set(key, recent);
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((recent[0]! + 3_600_000 - now) / 1000)) };
    }
    this.times.set(key, [...recent, now]);
    while (this.times.size > this.maxKeys) this.times.delete(this.times.keys().next().value!);
    return { ok: true };
  }
}

export const SIGNUPS_PER_IP_PER_HOUR = 10;
export const signupCounter = new SignupCounter(SIGNUPS_PER_IP_PER_HOUR);

const honeypotCatches = new Map<string, number>();

/** A bot filled the hidden field: counted per form (and logged), answered as a success. */
export function countHoneypot(formId: string, ip: string): number {
  const count = (honeypotCatches.get(formId) ?? 0) + 1;
  honeypotCatches.delete(formId);
  honeypotCatches.set(formId, count);
  while (honeypotCatches.size > 10_000) honeypotCatches.delete(honeypotCatches.keys().next().value!);
  console.warn(`[forms] sign-up form ${formId}: honeypot filled from ${ip || "unknown IP"} (${count} since start); nobody added`);
  return count;
}

/** How many bots this process turned away from a form. */
export function honeypotCount(formId: string): number {
  return honeypotCatches.get(formId) ?? 0;
}
