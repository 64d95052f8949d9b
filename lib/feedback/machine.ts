/**
 * Opens and clicks that are likely not a person: privacy prefetchers, security gateways that
 * follow every link, HTTP libraries and crawlers, and anything that arrives within seconds of the
 * send. They are kept (flagged `machine`) and counted apart, never in the headline numbers.
 *
 * Image proxies that fetch when the person opens the message (Gmail's GoogleImageProxy, Yahoo's
 * YahooMailProxy) are people: they hide the device, not the act. Apple Mail Privacy Protection
 * fetches every image on delivery with a bare "Mozilla/5.0"; that is a machine.
 */

/** An open this soon after the send was a prefetch on delivery, not a reader. */
export const MACHINE_OPEN_WINDOW_MS = 2_000;
/** A click this soon after the send was a link scanner at the receiving gateway. */
export const MACHINE_CLICK_WINDOW_MS = 10_000;

export type MachineVerdict = { machine: boolean; reason?: string };

type Rule = { pattern: RegExp; reason: string };

/** Agents that are never a person, for opens and clicks alike. Compiled once. */
const MACHINE_AGENTS: Rule[] = [
  { pattern: /barracuda/i, reason: "Barracuda" },
  { pattern: /mimecast/i, reason: "Mimecast" },
  { pattern: /proofpoint|ppops-/i, reason: "Proofpoint" },
  { pattern: /symantec|messagelabs|broadcom/i, reason: "Symantec" },
  { pattern: /trend ?micro|\bTMUFE\b/i, reason: "Trend Micro" },
  { pattern: /safe ?links|\bATP\b|defender/i, reason: "Microsoft Safe Links" },
  { pattern: /ms-office|microsoft office existence discovery|\bMSOffice\b/i, reason: "Microsoft Office link check" },
  { pattern: /forcepoint|cisco|ironport|sophos|fortinet|fortiguard|zscaler|paloalto|checkpoint|avanan|vade|hornetsecurity|spamtitan/i, reason: "security gateway" },
  { pattern: /^curl\/|\bwget\b|python-requests|python-urllib|aiohttp|httpx|go-http-client|okhttp|java\/|apache-httpclient|libwww-perl|node-fetch|axios|undici|ruby|php\//i, reason: "HTTP library" },
  { pattern: /headlesschrome|phantomjs|puppeteer|playwright|selenium/i, reason: "headless browser" },
  // "bot" only as a product token ("Googlebot/2.1", "Slackbot-LinkExpanding"), not inside a phone's name ("CUBOT X20").
  { pattern: /bot[/+;_-]|bot$|\bbot\b|spider|crawl|slurp|facebookexternalhit|preview|whatsapp|embedly|scanner|validator/i, reason: "crawler or preview" },
];

/**
 * For clicks only: Office apps check a link ("Microsoft Office/16.0 …") before opening it, but
 * desktop Outlook loads a message's images with the same product token when a person reads it.
 */
const MACHINE_CLICK_AGENTS: Rule[] = [{ pattern: /microsoft office|microsoft outlook|\bword\/|\bexcel\//i, reason: "Microsoft Office link check" }];

/** The privacy proxy of Apple Mail (and some other prefetchers) sends just this. */
const BARE_MOZILLA = /^mozilla\/5\.0$/i;

export function machineAgent(userAgent: string | null | undefined, kind: "open" | "click"): string | undefined {
  const agent = (userAgent ?? "").trim();
  if (agent === "") return "no user agent";
  if (BARE_MOZILLA.test(agent)) return "privacy prefetch (bare Mozilla/5.0)";
  for (const rule of MACHINE_AGENTS) if (rule.pattern.test(agent)) return rule.reason;
  if (kind === "click") for (const rule of MACHINE_CLICK_AGENTS) if (rule.pattern.test(agent)) return rule.reason;
  return undefined;
}

export type Hit = { userAgent?: string | null; at: Date; sentAt: Date | null };

export function classifyOpen(hit: Hit): MachineVerdict {
  return classify(hit, "open", MACHINE_OPEN_WINDOW_MS);
}

export function classifyClick(hit: Hit): MachineVerdict {
  return classify(hit, "click", MACHINE_CLICK_WINDOW_MS);
}

function classify(hit: Hit, kind: "open" | "click", windowMs: number): MachineVerdict {
  const agent = machineAgent(hit.userAgent, kind);
  if (agent) return { machine: true, reason: agent };
  if (hit.sentAt && hit.at.getTime() - hit.sentAt.getTime() < windowMs) return { machine: true, reason: `within ${windowMs / 1000} s of sending` };
  return { machine: false };
}
