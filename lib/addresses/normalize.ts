/**
 * One address as typed or exported by someone else → the form Fanout stores and sends to, or the
 * reason it is not one: a rule of the reason catalogues (lib/i18n/reasons-*.ts) with its values,
 * worded beside the line it came from in the reader's language (addressProblemInEnglish for SMTP).
 *
 * The domain is always kept as its ASCII (punycode) form; the part before the @ may be Unicode
 * (RFC 6531, 中文@例子.中国 → 中文@xn--fsqu00a.xn--fiqs8s), and such an address is marked `utf8`:
 * it can only be sent through a relay that offers SMTPUTF8.
 */
import { domainToASCII } from "node:url";
import { describeReason } from "@/lib/i18n/describe";
import { reasonsEn, type ReasonParams } from "@/lib/i18n/reasons-en";

export type AddressProblem = Extract<keyof typeof reasonsEn.rules, `address${string}`>;
/** `utf8` is there (true) only when the part before the @ is not ASCII, so sending it needs SMTPUTF8. */
export type AddressCheck = { ok: true; email: string; utf8?: true } | { ok: false; reason: AddressProblem; params: ReasonParams };

/** In octets of UTF-8, as RFC 6531 counts them (the same as characters for ASCII). */
const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;
const MAX_LABEL = 63;
/** RFC 5321's path limit (256 octets) minus the angle brackets. */
const MAX_ADDRESS = 254;

/**
 * Longer than this after trimming is refused before any other work: no address is longer than
 * 254 characters, and the cap keeps the work per field small when an import's field is 1 MB.
 */
const MAX_INPUT = 1024;
const ATEXT = /^[a-z0-9!#$%&'*+\-/=?^_`{|}~]$/;
const DOT_ATOM = /^[a-z0-9!#$%&'*+\-/=?^_`{|}~]+(\.[a-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;
/**
 * Unicode a mailbox name may not hold: controls, format characters (zero-width joiners, the
 * right-to-left override that makes an address read differently from what it is), surrogates,
 * private-use and unassigned code points, and every kind of space or separator.
 */
const INVISIBLE = /[\p{C}\p{Z}]/u;
const NON_ASCII = /[^\x00-\x7f]/;

const fail = (reason: AddressProblem, params: ReasonParams = {}): AddressCheck => ({ ok: false, reason, params });

/** The problem in English, for SMTP replies and logs. */
export function addressProblemInEnglish(check: { reason: AddressProblem; params: ReasonParams }): string {
  return describeReason(reasonsEn, check.reason, check.params);
}

export function normalizeAddress(raw: string): AddressCheck {
  let text = trimEdgeJunk(raw);
  if (text.startsWith("<") && text.endsWith(">")) text = trimEdgeJunk(text.slice(1, -1));
  if (/^mailto:/i.test(text)) text = trimEdgeJunk(text.slice("mailto:".length));
  if (text === "") return fail("addressEmpty");
  if (text.length > MAX_INPUT) return fail("addressTooLong", { max: MAX_ADDRESS });

  const split = splitAtSign(text);
  if (!split.ok) return split;
  const local = checkLocalPart(split.local);
  if (!local.ok) return local;
  const domain = checkDomain(split.domain.toLowerCase());
  if (!domain.ok) return domain;

  const email = `${local.email}@${domain.email}`;
  if (utf8Length(email) > MAX_ADDRESS) return fail("addressTooLong", { max: MAX_ADDRESS });
  return local.utf8 ? { ok: true, email, utf8: true } : { ok: true, email };
}

function utf8Length(text: string): number {
  return NON_ASCII.test(text) ? new TextEncoder().encode(text).length : text.length;
}

/**
 * Only ASCII letters are folded: lower-casing other scripts is not reversible (İ, ẞ) and a
 * Unicode mailbox is matched by its server as written.
 */
function lowerAscii(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/**
 * Drops whitespace (what String#trim drops: NBSP, U+3000, U+FEFF…) and the zero-width characters
 * from both ends. A loop, not /[…]+$/, which retries from every character of an inner run of spaces.
 */
function trimEdgeJunk(text: string): string {
  const isJunk = (char: string) => char.trim() === "" || (char >= "\u200b" && char <= "\u200d");
  let start = 0;
  let end = text.length;
  while (start < end && isJunk(text[start]!)) start++;
  while (end > start && isJunk(text[end - 1]!)) end--;
  return text.slice(start, end);
}

type Split = { ok: true; local: string; domain: string } | Extract<AddressCheck, { ok: false }>;

/** Finds the one @ that is not inside a quoted local part. */
function splitAtSign(text: string): Split {
  let unquotedFrom = 0;
  if (text.startsWith('"')) {
    let i = 1;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    if (i >= text.length) return { ok: false, reason: "addressQuoteOpen", params: {} };
    unquotedFrom = i + 1;
  }
  const at = text.indexOf("@", unquotedFrom);
  if (at === -1) return { ok: false, reason: "addressMissingAt", params: {} };
  if (text.includes("@", at + 1)) return { ok: false, reason: "addressManyAt", params: {} };
  return { ok: true, local: text.slice(0, at), domain: text.slice(at + 1) };
}

function checkLocalPart(typed: string): AddressCheck {
  if (typed === "" || typed === '""') return fail("addressNothingBefore");
  // NFC, so that é typed as e + U+0301 and é typed as one character are the same contact.
  const local = lowerAscii(typed.normalize("NFC"));
  const utf8 = NON_ASCII.test(local);
  if (local.startsWith('"')) return utf8 ? fail("addressNonAsciiLocal") : checkQuotedLocalPart(local);
  if (/\s/.test(local)) return fail("addressSpaces");
  if (utf8Length(local) > MAX_LOCAL) return fail("addressLocalTooLong", { max: MAX_LOCAL });
  if (local.startsWith(".")) return fail("addressLocalStartsWithDot");
  if (local.endsWith(".")) return fail("addressLocalEndsWithDot");
  if (local.includes("..")) return fail("addressLocalDoubleDot");
  for (const c of local) {
    const allowed = c === "." || (c < "\x80" ? ATEXT.test(c) : !INVISIBLE.test(c));
    if (!allowed) return fail("addressLocalBadChar", { char: describe(c) });
  }
  return utf8 ? { ok: true, email: local, utf8: true } : { ok: true, email: local };
}

/** RFC 5321 quoted string: printable ASCII, with \" and \\ escaped. */
function checkQuotedLocalPart(local: string): AddressCheck {
  if (!local.endsWith('"') || local.length < 2) return fail("addressAfterQuote");
  const inner = local.slice(1, -1);
  let unescaped = "";
  for (let i = 0; i < inner.length; i++) {
    let c = inner[i] as string;
    if (c === "\\") {
      i++;
      c = inner[i] ?? "";
      if (c === "") return fail("addressBackslashEnd");
    } else if (c === '"') {
      return fail("addressAfterQuote");
    }
    const code = c.charCodeAt(0);
    if (code < 0x20 || code > 0x7e) return fail("addressLocalBadChar", { char: describe(c) });
    unescaped += c;
  }
  // Quotes that protect nothing are dropped, so "john"@x and john@x are the same contact.
  const email = DOT_ATOM.test(unescaped) ? unescaped : local;
  if (email.length > MAX_LOCAL) return fail("addressLocalTooLong", { max: MAX_LOCAL });
  return { ok: true, email };
}

function checkDomain(domain: string): AddressCheck {
  if (domain === "") return fail("addressNothingAfter");
  if (domain.startsWith("[")) return fail("addressLiteral");
  if (/\s/.test(domain)) return fail("addressSpaces");
  // domainToASCII also maps full-width letters and the ideographic full stop (。) before encoding.
  const ascii = /[^\x00-\x7f]/.test(domain) ? domainToASCII(domain) : domain;
  if (ascii === "") return fail("addressBadIdn");
  if (ascii.length > MAX_DOMAIN) return fail("addressDomainTooLong", { max: MAX_DOMAIN });
  const labels = ascii.split(".");
  if (labels.length === 1) return fail("addressDomainNoDot");
  if (labels[0] === "" || labels.at(-1) === "") return fail("addressDomainEdgeDot");
  for (const label of labels) {
    if (label === "") return fail("addressDomainDoubleDot");
    for (const c of label) {
      if (!/[a-z0-9-]/.test(c)) return fail("addressDomainBadChar", { char: describe(c) });
    }
    if (label.length > MAX_LABEL) return fail("addressLabelTooLong", { label: `${label.slice(0, 20)}…`, max: MAX_LABEL });
    if (label.startsWith("-") || label.endsWith("-")) return fail("addressLabelHyphen", { label });
  }
  if (/^[0-9]+$/.test(labels.at(-1) as string)) return fail("addressTldDigits");
  return { ok: true, email: ascii };
}

/** Names a character so that users can find it, even when it is invisible. */
function describe(c: string): string {
  const code = c.codePointAt(0) as number;
  if (code < 0x21 || code === 0x7f || INVISIBLE.test(c)) return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  return c === '"' ? `'"'` : `"${c}"`;
}
