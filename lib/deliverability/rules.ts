/**
 * The content-check rules, each a pure function of the analysed template that returns its finding or
 * nothing. Points and thresholds, and the documented rule each one follows, are in decision 0070;
 * they are on SpamAssassin's scale times ten (its default spam threshold, 5.0, is our "high", 50).
 */
import { getDomain, getHostname } from "tldts";
import type { HtmlAnalysis } from "./html-analysis";
import { findPhrases, normalise, UNSUBSCRIBE_WORDS, URL_SHORTENERS, containsPhrase } from "./phrases";

export const RULE_IDS = [
  "subject_phrases",
  "body_phrases",
  "subject_caps",
  "body_caps",
  "subject_exclamations",
  "body_exclamations",
  "image_only",
  "image_heavy",
  "many_links",
  "url_shortener",
  "link_domain_mismatch",
  "unsubscribe_missing",
  "text_part_missing",
  "attachments_large",
  "html_unbalanced",
] as const;
export type RuleId = (typeof RULE_IDS)[number];

/** Where to change what a finding names: an editor field, or the help on the unsubscribe link. */
export type Target = "subject" | "html" | "text" | "attachments" | "unsubscribe";

export type Finding = {
  rule: RuleId;
  points: number;
  target: Target;
  /** Numbers and words for the explanation ("{count} links"). */
  params: Record<string, number>;
  /** What was found, shown as text: phrases, hosts, tags, "text → domain" pairs (at most 5). */
  found: string[];
};

export type Analysed = {
  subject: string;
  /** The hand-written text part, null when there is none. */
  text: string | null;
  html: string;
  analysis: HtmlAnalysis;
  attachments: { fileName: string; sizeBytes: number }[];
};

export const PHRASE_POINTS_MAX = 30;
export const SUBJECT_CAPS_POINTS = 15;
export const BODY_CAPS_POINTS = 10;
export const SUBJECT_EXCLAMATION_POINTS = 10;
export const BODY_EXCLAMATION_POINTS = 6;
export const IMAGE_ONLY_POINTS = 25;
export const IMAGE_HEAVY_POINTS = 10;
export const SHORTENER_POINTS = 15;
export const MISMATCH_POINTS = 20;
export const UNSUBSCRIBE_POINTS = 20;
export const TEXT_PART_POINTS = 5;

/** Fewer bytes of words than this beside an image: an image-only message (SpamAssassin's HTML_IMAGE_ONLY ladder ends at 3,200; its first band is 400). */
export const IMAGE_ONLY_TEXT_BYTES = 400;
/** Fewer bytes of words than this per image: mostly pictures. */
export const TEXT_BYTES_PER_IMAGE = 250;
export const MANY_LINKS = 25;
export const VERY_MANY_LINKS = 50;
export const LARGE_ATTACHMENTS_BYTES = 2 * 1024 * 1024;
export const VERY_LARGE_ATTACHMENTS_BYTES = 10 * 1024 * 1024;
/** Body caps: at least this many all-capital words of 3+ letters, making up at least this share of the words. */
export const BODY_CAPS_MIN_WORDS = 10;
export const BODY_CAPS_SHARE = 0.3;

const FOUND_SHOWN = 5;

function finding(rule: RuleId, points: number, target: Target, params: Record<string, number> = {}, found: string[] = []): Finding {
  return { rule, points, target, params, found: found.slice(0, FOUND_SHOWN) };
}

/** Text with Liquid `{{ … }}` and `{% … %}` taken out, by position (no regex over user text). */
export function withoutLiquid(text: string): string {
  let out = "";
  let from = 0;
  for (;;) {
    const open = nextLiquidOpen(text, from);
    if (open === -1) break;
    const closer = text[open + 1] === "{" ? "}}" : "%}";
    const close = text.indexOf(closer, open + 2);
    if (close === -1) break;
    out += `${text.slice(from, open)} `;
    from = close + 2;
  }
  return out + text.slice(from);
}

function nextLiquidOpen(text: string, from: number): number {
  const output = text.indexOf("{{", from);
  const tag = text.indexOf("{%", from);
  if (output === -1) return tag;
  if (tag === -1) return output;
  return Math.min(output, tag);
}

export function subjectPhrases(input: Analysed): Finding | null {
  const found = findPhrases(withoutLiquid(input.subject), "subject");
  if (found.length === 0) return null;
  const points = Math.min(PHRASE_POINTS_MAX, found.reduce((sum, entry) => sum + entry.weight * 2, 0));
  return finding("subject_phrases", points, "subject", { count: found.length }, found.map((entry) => entry.phrase));
}

export function bodyPhrases(input: Analysed): Finding | null {
  const inHtml = findPhrases(input.analysis.visibleText, "body");
  const inText = input.text ? findPhrases(withoutLiquid(input.text), "body") : [];
  const found = [...inHtml, ...inText.filter((entry) => !inHtml.includes(entry))];
  if (found.length === 0) return null;
  const points = Math.min(PHRASE_POINTS_MAX, found.reduce((sum, entry) => sum + entry.weight, 0));
  return finding("body_phrases", points, inHtml.length > 0 ? "html" : "text", { count: found.length }, found.map((entry) => entry.phrase));
}

/** Letters present, none lower-case, at least four capitals (SpamAssassin's SUBJ_ALL_CAPS; CJK has no case, so a Chinese subject never trips it). */
export function subjectCaps(input: Analysed): Finding | null {
  const literal = withoutLiquid(input.subject);
  let upper = 0;
  let lower = 0;
  for (const char of literal) {
    if (char !== char.toLowerCase()) upper++;
    else if (char !== char.toUpperCase()) lower++;
  }
  return upper >= 4 && lower === 0 ? finding("subject_caps", SUBJECT_CAPS_POINTS, "subject", { letters: upper }) : null;
}

export function bodyCaps(input: Analysed): Finding | null {
  let words = 0;
  let capitals = 0;
  const shouted: string[] = [];
  for (const match of input.analysis.visibleText.matchAll(/[A-Za-z]+/g)) {
    const word = match[0];
    words++;
    if (word.length >= 3 && word === word.toUpperCase()) {
      capitals++;
      if (shouted.length < FOUND_SHOWN && !shouted.includes(word)) shouted.push(word);
    }
  }
  if (capitals < BODY_CAPS_MIN_WORDS || capitals / words < BODY_CAPS_SHARE) return null;
  return finding("body_caps", BODY_CAPS_POINTS, "html", { count: capitals, percent: Math.round((capitals / words) * 100) }, shouted);
}

/** The longest run of exclamation marks (ASCII or fullwidth) and how many runs of at least `min`. */
export function exclamationRuns(text: string, min: number): { longest: number; runs: number } {
  let longest = 0;
  let runs = 0;
  let current = 0;
  for (const char of text) {
    if (char === "!" || char === "！" || char === "¡") {
      current++;
      continue;
    }
    if (current >= min) runs++;
    longest = Math.max(longest, current);
    current = 0;
  }
  if (current >= min) runs++;
  return { longest: Math.max(longest, current), runs };
}

export function subjectExclamations(input: Analysed): Finding | null {
  const { longest, runs } = exclamationRuns(input.subject, 2);
  return runs > 0 ? finding("subject_exclamations", SUBJECT_EXCLAMATION_POINTS, "subject", { longest }) : null;
}

export function bodyExclamations(input: Analysed): Finding | null {
  const html = exclamationRuns(input.analysis.visibleText, 3);
  const text = input.text ? exclamationRuns(input.text, 3) : { longest: 0, runs: 0 };
  const runs = html.runs + text.runs;
  if (runs === 0) return null;
  return finding("body_exclamations", BODY_EXCLAMATION_POINTS, html.runs > 0 ? "html" : "text", { runs, longest: Math.max(html.longest, text.longest) });
}

const encoder = new TextEncoder();

/** Images against words, in bytes of UTF-8 as SpamAssassin counts them (a Chinese character is 3, as it carries about a word). */
export function imageRatio(input: Analysed): Finding | null {
  const { images, visibleText } = input.analysis;
  if (images === 0) return null;
  const bytes = encoder.encode(visibleText.replace(/\s+/g, "")).length;
  const params = { images, chars: [...visibleText].length };
  if (bytes < IMAGE_ONLY_TEXT_BYTES) return finding("image_only", IMAGE_ONLY_POINTS, "html", params);
  if (bytes / images < TEXT_BYTES_PER_IMAGE) return finding("image_heavy", IMAGE_HEAVY_POINTS, "html", params);
  return null;
}

function isWebLink(href: string): boolean {
  return /^https?:\/\//i.test(href) && !href.includes("{{") && !href.includes("{%");
}

export function linkCount(input: Analysed): Finding | null {
  const count = input.analysis.links.filter((link) => isWebLink(link.href)).length;
  if (count > VERY_MANY_LINKS) return finding("many_links", 12, "html", { count, max: MANY_LINKS });
  if (count > MANY_LINKS) return finding("many_links", 6, "html", { count, max: MANY_LINKS });
  return null;
}

/** http(s) URLs written in plain text (the text part): bounded, one character class, no backtracking. */
const PLAIN_URL = /https?:\/\/[^\s<>"'）)】]{1,300}/gi;

function shortenerOf(url: string): string | null {
  const host = getHostname(url)?.toLowerCase();
  if (!host) return null;
  return URL_SHORTENERS.find((shortener) => host === shortener || host.endsWith(`.${shortener}`)) ?? null;
}

export function urlShorteners(input: Analysed): Finding | null {
  const urls = input.analysis.links.map((link) => link.href).filter(isWebLink);
  if (input.text) urls.push(...(input.text.slice(0, 200_000).match(PLAIN_URL) ?? []));
  const hosts = [...new Set(urls.map(shortenerOf).filter((host): host is string => host !== null))];
  if (hosts.length === 0) return null;
  const count = urls.filter((url) => shortenerOf(url) !== null).length;
  const inHtml = input.analysis.links.some((link) => isWebLink(link.href) && shortenerOf(link.href) !== null);
  return finding("url_shortener", SHORTENER_POINTS, inHtml ? "html" : "text", { count }, hosts);
}

/** Link text that is itself a domain or URL ("www.bank.com", "https://bank.com/login"); one character class per part, linear. */
const DOMAIN_TEXT = /^(?:https?:\/\/)?([a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,6})(?:[/:?#][^\s]*)?$/i;

/**
 * Link text naming one domain while the link goes to another: the phishing pattern (Rspamd's
 * PHISHING symbol, SpamAssassin's mismatch rules). Compared on registrable domains, so
 * "example.com" linking to "https://news.example.com/…" is fine.
 */
export function linkDomainMismatch(input: Analysed): Finding | null {
  const pairs: string[] = [];
  let count = 0;
  for (const link of input.analysis.links) {
    if (!isWebLink(link.href)) continue;
    const written = DOMAIN_TEXT.exec(link.text.trim().toLowerCase());
    if (!written) continue;
    const shown = getDomain(written[1]!, { allowPrivateDomains: false });
    const target = getDomain(link.href);
    if (!shown || !target || shown === target) continue;
    count++;
    const pair = `${link.text.trim().slice(0, 80)} → ${target}`;
    if (!pairs.includes(pair)) pairs.push(pair);
  }
  return count > 0 ? finding("link_domain_mismatch", MISMATCH_POINTS, "html", { count }, pairs) : null;
}

/** `{{ unsubscribe_url }}` in the HTML, as lib/sending/tasks.ts's hasUnsubscribeLink reads it. */
const UNSUBSCRIBE_VARIABLE = /\{\{-?\s*unsubscribe_url\s*(?:\||-?\}\})/;

/**
 * Gmail's and Yahoo's bulk-sender rules ask for one-click unsubscribe (Fanout adds the
 * List-Unsubscribe headers to every task message itself) and a clearly visible unsubscribe link in
 * the body; CAN-SPAM asks for the link too. The body counts as having one when it uses
 * `{{ unsubscribe_url }}` or has a working link whose words say unsubscribe (退订, 取消订阅).
 */
export function unsubscribeMissing(input: Analysed): Finding | null {
  if (UNSUBSCRIBE_VARIABLE.test(input.html.slice(0, 2_000_000))) return null;
  const named = input.analysis.links.some(
    (link) => (isWebLink(link.href) || /^mailto:/i.test(link.href)) && UNSUBSCRIBE_WORDS.some((word) => containsPhrase(normalise(link.text), normalise(word))),
  );
  return named ? null : finding("unsubscribe_missing", UNSUBSCRIBE_POINTS, "unsubscribe");
}

/**
 * No hand-written text part. SpamAssassin scores HTML-only mail (MIME_HTML_ONLY) and Gmail's sender
 * guidelines ask for a plain-text alternative; Fanout generates one from the HTML, so the message
 * is never HTML-only and this costs little: the generated text is only as good as the HTML's words.
 */
export function textPartMissing(input: Analysed): Finding | null {
  return input.text === null ? finding("text_part_missing", TEXT_PART_POINTS, "text") : null;
}

export function attachmentsLarge(input: Analysed): Finding | null {
  const total = input.attachments.reduce((sum, attachment) => sum + attachment.sizeBytes, 0);
  const params = { megabytes: Math.round((total / 1024 / 1024) * 10) / 10, count: input.attachments.length, max: LARGE_ATTACHMENTS_BYTES / 1024 / 1024 };
  const names = input.attachments.map((attachment) => attachment.fileName);
  if (total > VERY_LARGE_ATTACHMENTS_BYTES) return finding("attachments_large", 20, "attachments", params, names);
  if (total > LARGE_ATTACHMENTS_BYTES) return finding("attachments_large", 10, "attachments", params, names);
  return null;
}

export function htmlUnbalanced(input: Analysed): Finding | null {
  const problems = input.analysis.balanceProblems;
  if (problems.length === 0) return null;
  return finding("html_unbalanced", problems.length >= 5 ? 10 : 5, "html", { count: problems.length }, [...new Set(problems)]);
}

export const RULES: readonly ((input: Analysed) => Finding | null)[] = [
  subjectPhrases,
  bodyPhrases,
  subjectCaps,
  bodyCaps,
  subjectExclamations,
  bodyExclamations,
  imageRatio,
  linkCount,
  urlShorteners,
  linkDomainMismatch,
  unsubscribeMissing,
  textPartMissing,
  attachmentsLarge,
  htmlUnbalanced,
];
