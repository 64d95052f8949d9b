/**
 * Plain text from HTML, for the text/plain part of a message when the template has none.
 *
 * Built on `html-to-text` with settings for e-mail: links as `text [url]` (the URL alone when it is
 * the link text; `#anchors` show their text only), `*` bullets and numbered lists, blank lines
 * between paragraphs, images as their alt text (so an image link still reads "Shop now [url]"),
 * headings kept as written (no upper-casing: it would change names and product words), lines
 * wrapped at 78 characters on spaces only (CJK runs are never split), `<head>`, `<style>` and
 * `<script>` dropped.
 */
import { compile, type FormatCallback, type HtmlToTextOptions } from "html-to-text";

const WRAP = 78;

const altOnly: FormatCallback = (elem, _walk, builder) => {
  const alt = (elem.attribs as Record<string, string> | undefined)?.alt?.trim();
  if (alt) builder.addInline(alt);
};

const OPTIONS: HtmlToTextOptions = {
  wordwrap: WRAP,
  formatters: { altOnly },
  selectors: [
    { selector: "a", options: { hideLinkHrefIfSameAsText: true, noAnchorUrl: true } },
    { selector: "img", format: "altOnly" },
    { selector: "h1", options: { uppercase: false } },
    { selector: "h2", options: { uppercase: false } },
    { selector: "h3", options: { uppercase: false } },
    { selector: "h4", options: { uppercase: false } },
    { selector: "h5", options: { uppercase: false } },
    { selector: "h6", options: { uppercase: false } },
    { selector: "table", format: "block" },
    { selector: "tr", format: "block" },
    { selector: "td", format: "block" },
    { selector: "th", format: "block" },
    { selector: "script", format: "skip" },
    { selector: "style", format: "skip" },
    { selector: "head", format: "skip" },
  ],
};

let converter: ((html: string) => string) | undefined;

/** Readable plain text from an HTML document or fragment. */
export function htmlToText(html: string): string {
  converter ??= compile(OPTIONS);
  return tidy(converter(html));
}

/** Trailing spaces off every line, at most one blank line in a row, no blank lines at either end. */
export function tidy(text: string): string {
  return text
    .replace(/[ \t]+$/gm, "")
    .replace(/\n{3,}/g, "\n\n")
    .replace(/^\n+|\n+$/g, "");
}

const LIQUID = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g;
const MARK_OPEN = "\uE000";
const MARK_CLOSE = "\uE001";
const MARK = /\uE000(\d+)\uE001/g;

/**
 * Plain text *template* from an HTML *template*: each Liquid `{{ … }}` and `{% … %}` is set aside
 * as an opaque word before conversion and put back afterwards, so that line wrapping, entity
 * decoding or formatting never touches Liquid (a `{{ x | default: "your city" }}` is not wrapped
 * in the middle of its string, and a placeholder in an `href` comes out as `[{{ unsubscribe_url }}]`).
 * Braces that only the conversion produced (`&#123;&#123;` in the HTML) are wrapped in
 * `{% raw %}` so they stay text.
 */
export function htmlTemplateToTextTemplate(html: string): string {
  const saved: string[] = [];
  const masked = html.replace(LIQUID, (liquid) => `${MARK_OPEN}${saved.push(liquid) - 1}${MARK_CLOSE}`);
  const text = htmlToText(masked).replace(/\{[{%]/g, (braces) => `{% raw %}${braces}{% endraw %}`);
  return text.replace(MARK, (whole, index: string) => saved[Number(index)] ?? whole);
}

/** A whole `{% raw %}…{% endraw %}` (kept), a whole `{% comment %}…{% endcomment %}` or any other tag (dropped). */
const TAG_OR_BLOCK =
  /(\{%-?\s*raw\s*-?%\}[\s\S]*?\{%-?\s*endraw\s*-?%\})|\{%-?\s*comment\s*-?%\}[\s\S]*?\{%-?\s*endcomment\s*-?%\}|\{%[\s\S]*?%\}/g;

/**
 * The same without any `{% … %}` tag: the fallback when Liquid tags sit where conversion cannot
 * keep them (inside a tag's attribute list, say) and the result would not parse. Both branches
 * of a condition then show, which is better than no text part at all.
 */
export function htmlTemplateToTextTemplateWithoutTags(html: string): string {
  const withoutTags = html.replace(TAG_OR_BLOCK, (_tag, raw: string | undefined) => raw ?? "");
  return htmlTemplateToTextTemplate(withoutTags);
}
