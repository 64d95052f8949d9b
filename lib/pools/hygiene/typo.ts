/*
 * Typos of the big mailbox providers' domains (gmial.com, qq.con, 163.cm), with the domain that
 * was meant. Our own, because the libraries (mailcheck, @zootools/email-spell-checker) use a
 * loose similarity that suggests gmail.com for ymail.com and hotmail.com for hotmail.fr: a wrong
 * suggestion on a real domain is worse than none. Two ways a domain is a typo here:
 *   - the provider's name exactly, with a top-level domain that is a known slip of the provider's
 *     (com → con, cm, comm, co, cpm …; net → nte, ner …): qq.con, 163.cm, gmail.comm;
 *   - a name of at least five letters at Damerau–Levenshtein distance 1 from the provider's
 *     (distance 2 from seven letters on), with the same top-level domain or a slip of it:
 *     gmial.com, hotmial.com, outlok.com, gmial.con. Shorter names (qq, 163, 126, sina, sohu) are
 *     never compared loosely: one letter away from them are other real domains (qz.com, 126.com).
 * A domain on the list of real domains (ymail.com, gmx.com, live.com, mail.ru …) is never a typo.
 */

/** The providers whose typos are worth a suggestion: the largest mailbox domains in China and abroad. */
export const BIG_PROVIDERS = [
  "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com", "msn.com",
  "icloud.com", "aol.com", "protonmail.com", "qq.com", "foxmail.com", "163.com", "126.com",
  "yeah.net", "sina.com", "sohu.com", "aliyun.com", "139.com", "189.cn", "tom.com",
] as const;

/** Real mail domains close to a provider's; never flagged. */
const REAL_DOMAINS = [
  "ymail.com", "gmx.com", "gmx.net", "gmx.de", "mail.com", "email.com", "me.com", "mac.com", "mail.ru",
  "yandex.ru", "yandex.com", "inbox.ru", "list.ru", "bk.ru", "hotmail.co.uk", "hotmail.fr", "hotmail.de",
  "hotmail.it", "hotmail.es", "outlook.fr", "outlook.de", "outlook.jp", "live.cn", "live.fr", "live.co.uk",
  "yahoo.co.jp", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "yahoo.com.cn", "yahoo.com.tw", "yahoo.com.hk",
  "rocketmail.com", "sina.cn", "sina.com.cn", "vip.sina.com", "vip.qq.com", "vip.163.com", "vip.126.com",
  "188.com", "qq.cn", "wo.cn", "21cn.com", "263.net", "proton.me", "pm.me", "zoho.com", "tutanota.com",
  "fastmail.com", "naver.com", "daum.net", "web.de", "orange.fr", "free.fr", "laposte.net", "libero.it",
];

/** Slips of a top-level domain: a neighbouring key, a letter doubled, dropped or swapped. */
const TLD_SLIPS: Record<string, readonly string[]> = {
  com: ["con", "cm", "comm", "co", "cpm", "vom", "xom", "om", "cim", "cok", "coj", "c0m", "cmo", "ocm", "coom", "ccom", "comn", "cmm", "clm", "col", "cojm", "xcom"],
  net: ["nte", "ne", "ner", "met", "bet", "nt", "nett", "ent", "nwt", "nrt"],
  cn: ["cm", "cnn", "nc", "xn"],
};

const PROVIDERS: ReadonlySet<string> = new Set(BIG_PROVIDERS);
const REAL: ReadonlySet<string> = new Set(REAL_DOMAINS);
const SPLIT = BIG_PROVIDERS.map((domain) => {
  const dot = domain.lastIndexOf(".");
  return { domain, name: domain.slice(0, dot), tld: domain.slice(dot + 1) };
});
/** Names shorter than this are only matched exactly (qq, 163, sina). */
const LOOSE_FROM = 5;
const LOOSER_FROM = 7;
/** Longer names are not compared at all: no provider's name is near one. */
const MAX_NAME = 24;

/** The provider's domain `domain` (lower-case ASCII) was probably meant to be, or null. */
export function suggestDomain(domain: string): string | null {
  if (PROVIDERS.has(domain) || REAL.has(domain)) return null;
  const dot = domain.lastIndexOf(".");
  if (dot <= 0) return null;
  const name = domain.slice(0, dot);
  const tld = domain.slice(dot + 1);
  if (name.length > MAX_NAME) return null;
  // A slipped top-level domain after a real name: suggest that real domain (ymail.con → ymail.com).
  for (const [canonical, slips] of Object.entries(TLD_SLIPS)) {
    const meant = `${name}.${canonical}`;
    if (slips.includes(tld) && (REAL.has(meant) || PROVIDERS.has(meant))) return meant;
  }
  let best: { domain: string; distance: number } | null = null;
  for (const provider of SPLIT) {
    const tldMatches = tld === provider.tld || (TLD_SLIPS[provider.tld]?.includes(tld) ?? false);
    if (!tldMatches) continue;
    if (provider.name.length < LOOSE_FROM || name.length < LOOSE_FROM - 1) continue;
    const allowed = provider.name.length >= LOOSER_FROM ? 2 : 1;
    const distance = boundedDistance(name, provider.name, allowed);
    if (distance <= allowed && (!best || distance < best.distance)) best = { domain: provider.domain, distance };
  }
  return best?.domain ?? null;
}

/**
 * Optimal-string-alignment distance (Damerau–Levenshtein with adjacent swaps), or `max + 1` as
 * soon as it must exceed `max`. Both strings are at most MAX_NAME characters.
 */
export function boundedDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const width = b.length + 1;
  let before = new Array<number>(width).fill(0);
  let previous = Array.from({ length: width }, (_, j) => j);
  let current = new Array<number>(width).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, before[j - 2]! + 1);
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > max) return max + 1;
    [before, previous, current] = [previous, current, before];
  }
  return Math.min(previous[b.length]!, max + 1);
}
