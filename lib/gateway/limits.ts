import "server-only";
import { sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import { refuse, type SmtpRefusal } from "./replies";

/**
 * How much one client address may take of the SMTP entrance, in this process's memory (as the
 * HTTP rate limits, decision 0012: counting must not cost a database write; N processes allow N
 * times as much). Connections at once per address, and a back-off after repeated failed logins that
 * doubles with each further round of failures.
 */
export type PeerLimitSettings = {
  /** Connections one address may hold at once; one more is answered 421 and closed. */
  connectionsPerIp: number;
  /** Failed logins within `authFailureWindowMs` that start a back-off. */
  authFailures: number;
  authFailureWindowMs: number;
  /** The first back-off; each further one doubles, up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Addresses remembered at most; past it the least recently seen are forgotten. */
  maxTrackedIps: number;
};

export const PEER_LIMIT_DEFAULTS: PeerLimitSettings = {
  // An office behind one NAT address runs a few clients of a few connections each.
  connectionsPerIp: 20,
  authFailures: 5,
  authFailureWindowMs: 15 * 60_000,
  backoffMs: 60_000,
  maxBackoffMs: 30 * 60_000,
  maxTrackedIps: 10_000,
};

type Failures = { times: number[]; blockedUntil: number; blocks: number };

export class PeerLimits {
  readonly settings: PeerLimitSettings;
  private readonly connections = new Map<string, number>();
  private readonly failures = new Map<string, Failures>();

  constructor(settings: Partial<PeerLimitSettings> = {}) {
    this.settings = { ...PEER_LIMIT_DEFAULTS, ...settings };
  }

  /** At connect: null when the address may connect (and it is counted until release), else the 421 it gets. */
  admit(ip: string, now = Date.now()): SmtpRefusal | null {
    const blocked = this.backoffLeft(ip, now);
    if (blocked > 0) return refuse(421, `4.7.0 Too many failed logins from ${ip}; try again in ${seconds(blocked)} s`);
    const open = this.connections.get(ip) ?? 0;
    if (open >= this.settings.connectionsPerIp) {
      return refuse(421, `4.7.0 Too many connections from ${ip} (at most ${this.settings.connectionsPerIp} at once); close one and try again`);
    }
    this.connections.set(ip, open + 1);
    return null;
  }

  release(ip: string): void {
    const open = (this.connections.get(ip) ?? 0) - 1;
    if (open > 0) this.connections.set(ip, open);
    else this.connections.delete(ip);
  }

  /** Before a password is checked: null, or the 454 an address in back-off gets (its password is not looked at). */
  authRefusal(ip: string, now = Date.now()): SmtpRefusal | null {
    const blocked = this.backoffLeft(ip, now);
    return blocked > 0 ? refuse(454, `4.7.0 Too many failed logins from ${ip}; try again in ${seconds(blocked)} s`) : null;
  }

  recordAuthFailure(ip: string, now = Date.now()): void {
    const { authFailures, authFailureWindowMs, backoffMs, maxBackoffMs } = this.settings;
    const entry = this.failures.get(ip) ?? { times: [], blockedUntil: 0, blocks: 0 };
    this.failures.delete(ip); // re-inserted below: the map's order is least recently seen first
    // A back-off that ended a whole window ago is forgiven: the next one starts short again.
    if (entry.blocks > 0 && now - entry.blockedUntil > authFailureWindowMs) entry.blocks = 0;
    entry.times = entry.times.filter((time) => now - time < authFailureWindowMs);
    entry.times.push(now);
    if (entry.times.length >= authFailures) {
      entry.blockedUntil = now + Math.min(maxBackoffMs, backoffMs * 2 ** entry.blocks);
      entry.blocks++;
      entry.times = [];
    }
    this.failures.set(ip, entry);
    while (this.failures.size > this.settings.maxTrackedIps) this.failures.delete(this.failures.keys().next().value!);
  }

  /** Connections open now from `ip` (for tests and the log). */
  openFrom(ip: string): number {
    return this.connections.get(ip) ?? 0;
  }

  private backoffLeft(ip: string, now: number): number {
    const entry = this.failures.get(ip);
    return entry ? Math.max(0, entry.blockedUntil - now) : 0;
  }
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * An account's messages-per-minute limit, counted in the database over the last 60 seconds of its
 * accepted submissions (smtp_submissions_account_idx), so it holds across processes and restarts.
 * The early answer at MAIL FROM: the transaction that records a submission counts again, with the
 * account's row locked (accountRateRoom, recorder.ts). Null when there is room.
 */
export async function accountRateRefusal(executor: Executor, account: RateLimitedAccount): Promise<SmtpRefusal | null> {
  const room = await accountRateRoom(executor, account, false);
  return room.left > 0 ? null : rateRefusal(account, room.waitMs);
}

type RateLimitedAccount = { id: string; messagesPerMinute: number | null };

/**
 * How many more messages the account may submit now (Infinity without a limit), and in how long the
 * oldest one in its window leaves it. With `lock` (inside the transaction that records submissions)
 * the account's row is locked first, so two submissions of one account cannot both take the last place.
 */
export async function accountRateRoom(executor: Executor, account: RateLimitedAccount, lock: boolean): Promise<{ left: number; waitMs: number }> {
  const limit = account.messagesPerMinute;
  if (limit === null) return { left: Infinity, waitMs: 0 };
  if (lock) await executor.execute(sql`select id from smtp_accounts where id = ${account.id} for update`);
  const [window] = await queryRows<{ n: number; wait_ms: number | null }>(
    executor,
    sql`select count(*)::int as n, ceil(extract(epoch from (min(created_at) + interval '1 minute' - now())) * 1000)::int as wait_ms
        from smtp_submissions where account_id = ${account.id} and created_at > now() - interval '1 minute'`,
  );
  return { left: Math.max(0, limit - (window?.n ?? 0)), waitMs: window?.wait_ms ?? 60_000 };
}

export function rateRefusal(account: RateLimitedAccount, waitMs: number): SmtpRefusal {
  return refuse(451, `4.7.1 Rate limit: this account may submit ${account.messagesPerMinute} message(s) a minute; try again in ${seconds(waitMs)} s`);
}
