/**
 * Links in HTML mail, without a DOM: a scan over `<a …>` start tags that respects quoted attribute
 * values (a `>` inside `title="a > b"` does not end the tag), matches tag and attribute names in
 * any case, and reads double-quoted, single-quoted and unquoted values.
 *
 * "Trackable" links are the `href`s that are absolute http(s) URLs with no Liquid in them.
 * `mailto:`, `tel:`, `#anchors`, relative URLs and anything holding `{{ … }}` or `{% … %}` (such
 * as `{{ unsubscribe_url }}`) are left as they are. URLs are handed to callers decoded
 * (`&amp;` → `&`) and written back escaped for a double-quoted attribute.
 *
 * Index `i` given to a rewrite callback is the position of that URL in `extractLinks(html)`, so a
 * click token can name a link by its index in the template.
 */

/** One `<a>` start tag's `href`: where the whole attribute sits in the HTML and its decoded value. */
export type AnchorHref = {
  /** Offset of the `<a` that starts the tag. */
  tagStart: number;
  /** Offsets of the `href=…` attribute (name to end of value). */
  attrStart: number;
  attrEnd: number;
  /** The value as written, and with character references decoded and surrounding space trimmed. */
  raw: string;
  url: string;
};

const TRACKABLE = /^https?:\/\/[^\s]/i;
const HAS_LIQUID = /\{\{|\{%/;

/** Every `<a>` start tag with an `href`, in document order, whether trackable or not. */
export function findAnchorHrefs(html: string): AnchorHref[] {
  const found: AnchorHref[] = [];
  let lower = html.indexOf("<a");
  let upper = html.indexOf("<A");
  while (lower !== -1 || upper !== -1) {
    const tagStart = upper === -1 || (lower !== -1 && lower < upper) ? lower : upper;
    if (tagStart === lower) lower = html.indexOf("<a", lower + 2);
    else upper = html.indexOf("<A", upper + 2);
    const next = html.charCodeAt(tagStart + 2);
    if (!(isSpace(next) || next === 47 /* / */ || next === 62) /* > */) continue;
    const href = scanForHref(html, tagStart);
    if (href) found.push(href);
  }
  return found;
}

function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 9 || code === 13 || code === 12;
}

/**
 * Reads the attributes of the start tag at `tagStart` as an HTML tokenizer does (names end at
 * space, `/`, `>` or `=`; values are "…", '…' or unquoted up to space or `>`) and returns its first
 * `href`. A tag without its closing `>` has none.
 */
function scanForHref(html: string, tagStart: number): AnchorHref | undefined {
  const length = html.length;
  let i = tagStart + 2;
  let href: AnchorHref | undefined;
  while (i < length) {
    let code = html.charCodeAt(i);
    if (isSpace(code) || code === 47) {
      i++;
      continue;
    }
    if (code === 62) return href;
    const nameStart = i;
    while (i < length) {
      code = html.charCodeAt(i);
      if (isSpace(code) || code === 47 || code === 62 || (code === 61 && i > nameStart)) break;
      i++;
    }
    const nameEnd = i;
    while (i < length && isSpace(html.charCodeAt(i))) i++;
    let valueStart = -1;
    let valueEnd = -1;
    if (html.charCodeAt(i) === 61 /* = */) {
      i++;
      while (i < length && isSpace(html.charCodeAt(i))) i++;
      const quote = html.charCodeAt(i);
      if (quote === 34 || quote === 39) {
        const close = html.indexOf(quote === 34 ? '"' : "'", i + 1);
        if (close === -1) return undefined;
        valueStart = i + 1;
        valueEnd = close;
        i = close + 1;
      } else {
        valueStart = i;
        while (i < length && !isSpace(html.charCodeAt(i)) && html.charCodeAt(i) !== 62) i++;
        valueEnd = i;
      }
    }
    if (!href && nameEnd - nameStart === 4 && isHref(html, nameStart)) {
      const raw = valueStart === -1 ? "" : html.slice(valueStart, valueEnd);
      href = { tagStart, attrStart: nameStart, attrEnd: valueStart === -1 ? nameEnd : i, raw, url: decodeAttribute(raw).trim() };
    }
  }
  return undefined;
}

function isHref(html: string, at: number): boolean {
  return (
    (html.charCodeAt(at) | 32) === 104 && // h
    (html.charCodeAt(at + 1) | 32) === 114 && // r
    (html.charCodeAt(at + 2) | 32) === 101 && // e
    (html.charCodeAt(at + 3) | 32) === 102 // f
  );
}

/** True for an absolute http(s) URL without Liquid in it: a link that click tracking may wrap. */
export function isTrackableUrl(url: string): boolean {
  return TRACKABLE.test(url) && !HAS_LIQUID.test(url);
}

/** The trackable URLs of the `<a href>`s in order (duplicates kept: each is its own index). */
export function extractLinks(html: string): string[] {
  const links: string[] = [];
  for (const anchor of findAnchorHrefs(html)) if (isTrackableUrl(anchor.url)) links.push(anchor.url);
  return links;
}

/**
 * Replaces every trackable `href` with `rewrite(url, index)`. Returning the URL unchanged leaves
 * that attribute exactly as written (use it to keep, say, the unsubscribe link untracked).
 */
export function rewriteLinks(html: string, rewrite: (url: string, index: number) => string): string {
  const anchors = findAnchorHrefs(html);
  if (anchors.length === 0) return html;
  let out = "";
  let from = 0;
  let index = 0;
  for (const anchor of anchors) {
    if (!isTrackableUrl(anchor.url)) continue;
    const next = rewrite(anchor.url, index++);
    if (next === anchor.url) continue;
    out += `${html.slice(from, anchor.attrStart)}href="${escapeAttribute(next)}"`;
    from = anchor.attrEnd;
  }
  return from === 0 ? html : out + html.slice(from);
}

const BODY_END = /<\/body\s*>/gi;
const HTML_END = /<\/html\s*>/gi;

/**
 * Adds a 1×1 open-tracking image just before the last `</body>` (else before `</html>`, else at
 * the end). It has an empty `alt`, so it is announced by no screen reader and shows as nothing
 * when images are blocked.
 */
export function addOpenPixel(html: string, url: string): string {
  const pixel = `<img src="${escapeAttribute(url)}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0;margin:0;padding:0" />`;
  const at = lastMatch(BODY_END, html) ?? lastMatch(HTML_END, html);
  return at === undefined ? html + pixel : html.slice(0, at) + pixel + html.slice(at);
}

function lastMatch(pattern: RegExp, text: string): number | undefined {
  let last: number | undefined;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) last = match.index;
  return last;
}

/** For a double-quoted attribute value. */
export function escapeAttribute(value: string): string {
  return value.replace(/[&"<>]/g, (c) => (c === "&" ? "&amp;" : c === '"' ? "&quot;" : c === "<" ? "&lt;" : "&gt;"));
}

const NAMED: Record<string, string> = { amp: "&", quot: '"', apos: "'", lt: "<", gt: ">", nbsp: "\u00a0" };

/**
 * Decodes the character references that appear in URLs: numeric ones and amp, quot, apos, lt, gt,
 * nbsp, each with its semicolon (so a query like `?a=1&lt=2` stays as written).
 */
export function decodeAttribute(value: string): string {
  if (!value.includes("&")) return value;
  return value.replace(/&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(amp|quot|apos|lt|gt|nbsp));/g, (whole, dec?: string, hex?: string, name?: string) => {
    if (name) return NAMED[name] ?? whole;
    const code = dec !== undefined ? Number(dec) : parseInt(hex ?? "", 16);
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
  });
}
