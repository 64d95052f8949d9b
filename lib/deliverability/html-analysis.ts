/**
 * What the content check needs to know about a template's HTML, read in one pass of a real HTML
 * parser (htmlparser2, the tokenizer html-to-text already uses for the text part) rather than
 * regexes over the document: the text a reader sees, the images, the links with their text, and
 * where the tags do not balance.
 *
 * Balance: htmlparser2 closes what the HTML rules let it close (a `<p>` before a `<div>`, an `<li>`
 * before the next) and tells us when it had to ("implied"). An element whose end tag HTML makes
 * optional (p, li, td, …) closed that way is fine; any other element left open, or an end tag with
 * no element open to close (including both halves of `<b><i></b></i>`), is a problem, as it is for
 * SpamAssassin's HTML_TAG_BALANCE_* rules: spam built by splicing fragments leaves them behind, and
 * clients render such mail differently from each other.
 */
import { Parser } from "htmlparser2";

/** Most HTML characters analysed; templates are limited to 2 MB, a check needs far less to judge. */
export const MAX_HTML_CHARS = 500_000;
/** Anchor text kept per link: enough to tell whether it names a domain. */
const MAX_LINK_TEXT = 300;
const MAX_PROBLEMS = 50;
/**
 * Most elements open at once. Real mail nests a few dozen deep (tables in tables); htmlparser2 keeps
 * its open elements in an array it grows at the front, so tens of thousands of unclosed tags would
 * cost quadratic time: past this depth the analysis stops and reports the nesting as a problem.
 */
export const MAX_DEPTH = 500;
const TOO_DEEP = new Error("nested too deeply");

export type HtmlLink = { href: string; text: string };
export type HtmlAnalysis = {
  /** The text a reader sees (outside head, style, script, title), whitespace collapsed. */
  visibleText: string;
  /** Images shown (1×1 and 0×0 pixels left out), and their declared area where width and height are given. */
  images: number;
  imageArea: number;
  links: HtmlLink[];
  /** Each problem as the tag written, e.g. "<div>" (never closed) or "</span>" (nothing to close). */
  balanceProblems: string[];
};

const HIDDEN = new Set(["head", "style", "script", "title", "template", "noscript"]);
const VOID = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr", "basefont", "bgsound", "frame", "keygen"]);
/** Elements whose end tag HTML lets the writer leave out. */
const OPTIONAL_END = new Set(["html", "head", "body", "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "colgroup", "caption", "option", "optgroup", "rt", "rp", "rb", "rtc"]);

/** A parser that also notices end tags with nothing open to close, which htmlparser2 drops silently. */
class BalanceParser extends Parser {
  private readonly source: string;
  private readonly open: Map<string, number>;
  private readonly onStray: (name: string) => void;

  constructor(source: string, open: Map<string, number>, onStray: (name: string) => void, handler: ConstructorParameters<typeof Parser>[0]) {
    super(handler, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
    this.source = source;
    this.open = open;
    this.onStray = onStray;
  }

  override onclosetag(start: number, endIndex: number): void {
    const name = this.source.slice(start, endIndex).toLowerCase();
    if (!VOID.has(name) && name !== "p" && !(this.open.get(name)! > 0)) this.onStray(name);
    super.onclosetag(start, endIndex);
  }
}

export function analyseHtml(input: string): HtmlAnalysis {
  const html = input.length > MAX_HTML_CHARS ? input.slice(0, MAX_HTML_CHARS) : input;
  const open = new Map<string, number>();
  const text: string[] = [];
  const links: HtmlLink[] = [];
  const problems: string[] = [];
  let hiddenDepth = 0;
  let depth = 0;
  let images = 0;
  let imageArea = 0;
  /** Open anchors, innermost last, each collecting its text. */
  const anchors: { href: string; text: string }[] = [];
  const problem = (written: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(written);
  };

  const parser = new BalanceParser(html, open, (name) => problem(`</${name}>`), {
    onopentag(name, attributes) {
      if (!VOID.has(name)) {
        open.set(name, (open.get(name) ?? 0) + 1);
        if (++depth > MAX_DEPTH) {
          problem(`<${name}> ×${MAX_DEPTH}+`);
          throw TOO_DEEP;
        }
      }
      if (HIDDEN.has(name)) hiddenDepth++;
      if (name === "img") {
        const width = Number.parseInt(attributes.width ?? "", 10);
        const height = Number.parseInt(attributes.height ?? "", 10);
        if (Number.isFinite(width) && Number.isFinite(height) && width <= 2 && height <= 2) return;
        images++;
        if (Number.isFinite(width) && Number.isFinite(height)) imageArea += width * height;
        // An image's alt text is what a reader with images off sees: it counts as link text, not as body text.
        if (anchors.length > 0 && attributes.alt) appendLinkText(anchors[anchors.length - 1]!, attributes.alt);
      }
      if (name === "a") anchors.push({ href: (attributes.href ?? "").trim(), text: "" });
      if (name === "br" || name === "p" || name === "div" || name === "td" || name === "li") text.push(" ");
    },
    ontext(data) {
      if (hiddenDepth > 0) return;
      text.push(data);
      // Only the innermost link collects; it hands its text to the link around it when it closes.
      if (anchors.length > 0) appendLinkText(anchors[anchors.length - 1]!, data);
    },
    onclosetag(name, implied) {
      if (!VOID.has(name)) {
        open.set(name, Math.max(0, (open.get(name) ?? 0) - 1));
        depth = Math.max(0, depth - 1);
      }
      if (HIDDEN.has(name)) hiddenDepth = Math.max(0, hiddenDepth - 1);
      if (implied && !VOID.has(name) && !OPTIONAL_END.has(name)) problem(`<${name}>`);
      if (name === "a") {
        const anchor = anchors.pop();
        if (anchor) {
          links.push({ href: anchor.href, text: anchor.text.replace(/\s+/g, " ").trim() });
          if (anchors.length > 0) appendLinkText(anchors[anchors.length - 1]!, anchor.text);
        }
      }
      if (name === "p" || name === "div" || name === "td" || name === "li" || /^h[1-6]$/.test(name)) text.push(" ");
    },
  });
  try {
    parser.write(html);
    parser.end();
  } catch (error) {
    if (error !== TOO_DEEP) throw error;
  }

  return { visibleText: text.join("").replace(/\s+/g, " ").trim(), images, imageArea, links, balanceProblems: problems };
}

function appendLinkText(anchor: { text: string }, data: string) {
  if (anchor.text.length < MAX_LINK_TEXT) anchor.text = (anchor.text + data).slice(0, MAX_LINK_TEXT);
}
