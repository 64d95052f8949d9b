import "server-only";
import type { Resolver } from "@/lib/senders/dns";

export type TxtResolver = Pick<Resolver, "resolveTxt">;

/** Answers kept per domain, so a busy group asks DNS once in a while, not once a post. */
const CACHE_MS = 10 * 60_000;
const cache = new Map<string, { policy: DmarcPolicy; until: number }>();

export type DmarcPolicy = "none" | "quarantine" | "reject";

/**
 * The DMARC policy a domain publishes (`_dmarc.<domain>`, else its organisational domain's, taken
 * as its last two labels — a public-suffix list would do better for `example.com.cn`; a miss only
 * costs a rewrite the poster did not need). Whatever cannot be read counts as "none".
 */
export async function dmarcPolicy(domain: string, resolver: TxtResolver): Promise<DmarcPolicy> {
  const key = domain.toLowerCase();
  const cached = cache.get(key);
  if (cached && cached.until > Date.now()) return cached.policy;
  const labels = key.split(".");
  const organisational = labels.slice(-2).join(".");
  const policy = (await readPolicy(key, resolver, "p")) ?? (organisational !== key ? await readPolicy(organisational, resolver, "sp") : null) ?? "none";
  if (cache.size > 10_000) cache.clear();
  cache.set(key, { policy, until: Date.now() + CACHE_MS });
  return policy;
}

/** Whether copies of a post from `address` must not go out From that address (p=quarantine or p=reject). */
export async function mustRewriteFrom(address: string, resolver: TxtResolver): Promise<boolean> {
  const domain = address.slice(address.lastIndexOf("@") + 1);
  return (await dmarcPolicy(domain, resolver)) !== "none";
}

/** `p=` of the record at `_dmarc.<domain>` (for an organisational domain's record `sp=` first, then `p=`); null when there is none. */
async function readPolicy(domain: string, resolver: TxtResolver, tag: "p" | "sp"): Promise<DmarcPolicy | null> {
  let records: string[][];
  try {
    records = await resolver.resolveTxt(`_dmarc.${domain}`);
  } catch {
    return null;
  }
  const record = records.map((chunks) => chunks.join("")).find((text) => /^v=DMARC1\s*(;|$)/i.test(text.trim()));
  if (!record) return null;
  const tags = new Map<string, string>();
  for (const part of record.slice(0, 1000).split(";")) {
    const [name, value] = part.split("=").map((side) => side.trim().toLowerCase());
    if (name && value !== undefined) tags.set(name, value);
  }
  const value = tags.get(tag) ?? tags.get("p");
  return value === "reject" || value === "quarantine" ? value : value === "none" ? "none" : null;
}
