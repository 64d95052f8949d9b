/**
 * One address as typed or exported by someone else → the form Fanout stores and sends to, or a
 * short English reason shown next to the line it came from.
 */
import { domainToASCII } from "node:url";

export type AddressCheck = { ok: true; email: string } | { ok: false; reason: string };

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;
const MAX_LABEL = 63;
/** RFC 5321's path limit (256) minus the angle brackets. */
const MAX_ADDRESS = 254;

/**
 * Longer than this after trimming is refused before any other work: no address is longer than
 * 254 characters, and the cap keeps the work per field small when an import's field is 1 MB.
 */
const MAX_INPUT = 1024;
const ATEXT = /^[a-z0-9!#$%&'*+\-/=?^_`{|}~]$/;
const DOT_ATOM = /^[a-z0-9!#$%&'*+\-/=?^_`{|}~]+(\.[a-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;

const fail = (reason: string): AddressCheck => ({ ok: false, reason });

export function normalizeAddress(raw: string): AddressCheck {
  let text = trimEdgeJunk(raw);
  if (text.startsWith("<") && text.endsWith(">")) text = trimEdgeJunk(text.slice(1, -1));
  if (/^mailto:/i.test(text)) text = trimEdgeJunk(text.slice("mailto:".length));
  if (text === "") return fail("address is empty");
  if (text.length > MAX_INPUT) return fail(`the address is longer than ${MAX_ADDRESS} characters`);
  text = text.toLowerCase();

  const split = splitAtSign(text);
  if (!split.ok) return fail(split.reason);
  const local = checkLocalPart(split.local);
  if (!local.ok) return local;
  const domain = checkDomain(split.domain);
  if (!domain.ok) return domain;

  const email = `${local.email}@${domain.email}`;
  if (email.length > MAX_ADDRESS) return fail(`the address is longer than ${MAX_ADDRESS} characters`);
  return { ok: true, email };
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

type Split = { ok: true; local: string; domain: string } | { ok: false; reason: string };

/** Finds the one @ that is not inside a quoted local part. */
function splitAtSign(text: string): Split {
  let unquotedFrom = 0;
  if (text.startsWith('"')) {
    let i = 1;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    if (i >= text.length) return { ok: false, reason: "a quote in the address is not closed" };
    unquotedFrom = i + 1;
  }
  const at = text.indexOf("@", unquotedFrom);
  if (at === -1) return { ok: false, reason: "missing @" };
  if (text.includes("@", at + 1)) return { ok: false, reason: "more than one @" };
  return { ok: true, local: text.slice(0, at), domain: text.slice(at + 1) };
}

function checkLocalPart(local: string): AddressCheck {
  if (local === "" || local === '""') return fail("nothing before the @");
  if (/[^\x00-\x7f]/.test(local)) return fail("non-ASCII characters in the local part are not supported");
  if (local.startsWith('"')) return checkQuotedLocalPart(local);
  if (/\s/.test(local)) return fail("spaces are not allowed");
  if (local.length > MAX_LOCAL) return fail(`the part before the @ is longer than ${MAX_LOCAL} characters`);
  if (local.startsWith(".")) return fail("the part before the @ starts with a dot");
  if (local.endsWith(".")) return fail("the part before the @ ends with a dot");
  if (local.includes("..")) return fail("two dots in a row before the @");
  for (const c of local) {
    if (c !== "." && !ATEXT.test(c)) return fail(`invalid character ${describe(c)} before the @`);
  }
  return { ok: true, email: local };
}

/** RFC 5321 quoted string: printable ASCII, with \" and \\ escaped. */
function checkQuotedLocalPart(local: string): AddressCheck {
  if (!local.endsWith('"') || local.length < 2) return fail('text after the closing quote before the @');
  const inner = local.slice(1, -1);
  let unescaped = "";
  for (let i = 0; i < inner.length; i++) {
    let c = inner[i] as string;
    if (c === "\\") {
      i++;
      c = inner[i] ?? "";
      if (c === "") return fail("a backslash ends the quoted part");
    } else if (c === '"') {
      return fail("text after the closing quote before the @");
    }
    const code = c.charCodeAt(0);
    if (code < 0x20 || code > 0x7e) return fail(`invalid character ${describe(c)} before the @`);
    unescaped += c;
  }
  // Quotes that protect nothing are dropped, so "john"@x and john@x are the same contact.
  const email = DOT_ATOM.test(unescaped) ? unescaped : local;
  if (email.length > MAX_LOCAL) return fail(`the part before the @ is longer than ${MAX_LOCAL} characters`);
  return { ok: true, email };
}

function checkDomain(domain: string): AddressCheck {
  if (domain === "") return fail("nothing after the @");
  if (domain.startsWith("[")) return fail("address literals are not accepted");
  if (/\s/.test(domain)) return fail("spaces are not allowed");
  // domainToASCII also maps full-width letters and the ideographic full stop (。) before encoding.
  const ascii = /[^\x00-\x7f]/.test(domain) ? domainToASCII(domain) : domain;
  if (ascii === "") return fail("the domain is not a valid international domain name");
  if (ascii.length > MAX_DOMAIN) return fail(`the domain is longer than ${MAX_DOMAIN} characters`);
  const labels = ascii.split(".");
  if (labels.length === 1) return fail("the domain has no dot (expected something like example.com)");
  if (labels[0] === "" || labels.at(-1) === "") return fail("the domain starts or ends with a dot");
  for (const label of labels) {
    if (label === "") return fail("two dots in a row in the domain");
    for (const c of label) {
      if (!/[a-z0-9-]/.test(c)) return fail(`invalid character ${describe(c)} in the domain`);
    }
    if (label.length > MAX_LABEL) return fail(`the domain part "${label.slice(0, 20)}…" is longer than ${MAX_LABEL} characters`);
    if (label.startsWith("-") || label.endsWith("-")) return fail(`the domain part "${label}" starts or ends with a hyphen`);
  }
  if (/^[0-9]+$/.test(labels.at(-1) as string)) return fail("the top-level domain is all digits");
  return { ok: true, email: ascii };
}

/** Names a character so that users can find it, even when it is invisible. */
function describe(c: string): string {
  const code = c.codePointAt(0) as number;
  if (code < 0x21 || code === 0x7f) return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  return c === '"' ? `'"'` : `"${c}"`;
}
