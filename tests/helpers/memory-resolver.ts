import type { MxRecord, MxResolver } from "@/lib/pools/hygiene/mx";

/** What a domain answers: records, or a node:dns error code (ENOTFOUND, ENODATA, ESERVFAIL, ETIMEOUT …). */
export type DomainAnswers = { mx?: MxRecord[] | string; a?: string[] | string; aaaa?: string[] | string; hang?: boolean };

/**
 * DNS in memory, answering as node:dns/promises' Resolver does (an Error with `code`), and counting
 * every question. A domain it does not know does not exist (ENOTFOUND).
 */
export class MemoryResolver implements MxResolver {
  readonly asked: string[] = [];

  constructor(private readonly zones: Record<string, DomainAnswers>) {}

  resolveMx(domain: string) {
    return this.answer<MxRecord[]>("MX", domain, (zone) => zone.mx);
  }

  resolve4(domain: string) {
    return this.answer<string[]>("A", domain, (zone) => zone.a);
  }

  resolve6(domain: string) {
    return this.answer<string[]>("AAAA", domain, (zone) => zone.aaaa);
  }

  count(type: string, domain: string) {
    return this.asked.filter((question) => question === `${type} ${domain}`).length;
  }

  private async answer<T>(type: string, domain: string, pick: (zone: DomainAnswers) => T | string | undefined): Promise<T> {
    this.asked.push(`${type} ${domain}`);
    await new Promise((resolve) => setImmediate(resolve));
    const zone = this.zones[domain];
    if (!zone) throw Object.assign(new Error(`queryMx ENOTFOUND ${domain}`), { code: "ENOTFOUND" });
    if (zone.hang) return new Promise<T>(() => {});
    const records = pick(zone);
    if (records === undefined) throw Object.assign(new Error(`ENODATA ${domain}`), { code: "ENODATA" });
    if (typeof records === "string") throw Object.assign(new Error(`${records} ${domain}`), { code: records });
    return records;
  }
}
