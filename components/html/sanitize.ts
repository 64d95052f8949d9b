import DOMPurify, { type Config } from "dompurify";

/**
 * What user HTML may become in the console's own DOM (the visual template editor): ordinary e-mail
 * markup — tables, inline styles, images, links, fonts — and nothing that runs or reaches beyond its
 * box: no scripts, event handlers, javascript: URLs, SVG/MathML, frames, forms or <style> blocks (a
 * style sheet would restyle the console itself). Previews never come here: they render in a
 * sandboxed frame (SandboxedHtml) so they show exactly what recipients get.
 */
const CONSOLE_SAFE: Config = {
  USE_PROFILES: { html: true },
  ADD_ATTR: ["target"],
  FORBID_TAGS: ["style", "link", "meta", "base", "title", "form", "input", "button", "select", "option", "textarea", "dialog"],
};

// A whole document: its head (and the body's own attributes) have no place in an editing box.
const DOCUMENT_PARTS = /<(?:!doctype|html|head|body)[\s>]/i;

export type SanitizedHtml = {
  html: string;
  /** True when the result leaves out something the source had, so editing it would lose that part. */
  dropped: boolean;
};

/** Sanitises HTML for insertion into the console's DOM; fails closed (empty) where there is no DOM. */
export function sanitizeForConsole(html: string): SanitizedHtml {
  if (!DOMPurify.isSupported) return { html: "", dropped: html.trim() !== "" };
  const clean = DOMPurify.sanitize(html, CONSOLE_SAFE);
  return { html: clean, dropped: DOMPurify.removed.length > 0 || DOCUMENT_PARTS.test(html) };
}

/** Whether a URL the user typed may go into `tag`'s `attribute` (rejects javascript:, vbscript: and the like). */
export function isSafeUrl(tag: "a" | "img", attribute: "href" | "src", url: string): boolean {
  return DOMPurify.isSupported && DOMPurify.isValidAttribute(tag, attribute, url);
}
