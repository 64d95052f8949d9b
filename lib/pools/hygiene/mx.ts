/*
 * Does a domain accept mail at all? Asked of DNS once per distinct domain, a few at a time, each
 * with a time limit, and remembered for a while. The answer is one of three:
 *   - `mail`: it has MX records, or none but an A/AAAA record (RFC 5321 §5.1, the implicit MX);
 *   - `no_mail`: the domain does not exist (NXDOMAIN), has neither MX nor address records, or
 *     publishes a Null MX (RFC 7505: one MX whose exchange is ".") saying it takes no mail;
 *   - `unknown`: DNS failed for now (SERVFAIL, a time-out, refused): not flagged, asked again
 *     next time, never remembered.
 */

export type MxRecord = { exchange: string; priority: number };

/** What is asked of DNS; node:dns/promises' Resolver fits, and tests pass an in-memory one. */
export interface MxResolver {
  resolveMx(domain: string): Promise<MxRecord[]>;
  resolve4(domain: string): Promise<string[]>;
  resolve6(domain: string): Promise<string[]>;
}

export type MailVerdict = "mail" | "no_mail" | "unknown";

/** The DNS error codes (node:dns) that say the name or the record type does not exist. */
const ABSENT = new Set(["ENOTFOUND", "ENODATA", "NXDOMAIN", "ENONAME"]);

export type MxCheckOptions = { resolver: MxResolver; timeoutMs?: number; concurrency?: number; cacheMs?: number; now?: () => number };

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_CONCURRENCY = 8;
const DEFAULT_CACHE_MS = 6 * 60 * 60_000;
const CACHE_LIMIT = 100_000;

type Cached = { verdict: Exclude<MailVerdict, "unknown">; at: number };

/** One checker per resolver: its cache is shared by every import the process runs. */
export class MxChecker {
  private readonly cache = new Map<string, Cached>();
  private readonly timeoutMs: number;
  private readonly concurrency: number;
  private readonly cacheMs: number;
  private readonly now: () => number;

  constructor(private readonly options: MxCheckOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    this.cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
    this.now = options.now ?? Date.now;
  }

  /** The verdict for each distinct domain, `concurrency` lookups at a time. */
  async checkAll(domains: Iterable<string>): Promise<Map<string, MailVerdict>> {
    const distinct = [...new Set(domains)];
    const verdicts = new Map<string, MailVerdict>();
    let next = 0;
    const worker = async () => {
      while (next < distinct.length) {
        const domain = distinct[next++]!;
        verdicts.set(domain, await this.check(domain));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, distinct.length) }, worker));
    return verdicts;
  }

  async check(domain: string): Promise<MailVerdict> {
    const cached = this.cache.get(domain);
    if (cached && this.now() - cached.at < this.cacheMs) return cached.verdict;
    const verdict = await this.ask(domain);
    if (verdict !== "unknown") {
      if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(domain, { verdict, at: this.now() });
    }
    return verdict;
  }

  private async ask(domain: string): Promise<MailVerdict> {
    const mx = await this.lookup(() => this.options.resolver.resolveMx(domain));
    if (mx.ok) {
      if (mx.value.length === 0) return this.implicit(domain);
      const isNullMx = mx.value.length === 1 && (mx.value[0]!.exchange === "" || mx.value[0]!.exchange === ".");
      return isNullMx ? "no_mail" : "mail";
    }
    if (mx.code === "ENOTFOUND" || mx.code === "NXDOMAIN") return "no_mail";
    if (mx.code === "ENODATA") return this.implicit(domain);
    return "unknown";
  }

  /** No MX records: the domain's own address is its mail server, if it has one. */
  private async implicit(domain: string): Promise<MailVerdict> {
    const v4 = await this.lookup(() => this.options.resolver.resolve4(domain));
    if (v4.ok && v4.value.length > 0) return "mail";
    const v6 = await this.lookup(() => this.options.resolver.resolve6(domain));
    if (v6.ok && v6.value.length > 0) return "mail";
    const absent = (result: Lookup<string[]>) => (result.ok ? result.value.length === 0 : ABSENT.has(result.code));
    return absent(v4) && absent(v6) ? "no_mail" : "unknown";
  }

  private async lookup<T>(ask: () => Promise<T>): Promise<Lookup<T>> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Lookup<T>>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, code: "ETIMEOUT" }), this.timeoutMs);
      timer.unref?.();
    });
    try {
      return await Promise.race([
        ask().then((value): Lookup<T> => ({ ok: true, value })),
        timeout,
      ]);
    } catch (error) {
      return { ok: false, code: String((error as { code?: unknown }).code ?? "EUNKNOWN") };
    } finally {
      clearTimeout(timer);
    }
  }
}

type Lookup<T> = { ok: true; value: T } | { ok: false; code: string };
