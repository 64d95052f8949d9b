/**
 * Template lint: what stops a template from being used (errors) and what is probably a mistake
 * (warnings). Every issue has a stable `code`, a `reason` of the server catalogues with its
 * `params` (the console words it in the reader's language) and `message`, the reason in English
 * for the API; positions are 1-based line and column within the part (columns count characters).
 *
 * Errors: `subject_empty`, `html_empty`, `liquid_syntax` (unclosed `{% if %}` or `{{`, unknown or
 * misplaced tag, malformed expression), `unknown_filter`.
 * Warnings: `unknown_variable`, `missing_text`, `insecure_link`, `image_without_alt`,
 * `subject_too_long`, `subject_all_caps`, `render_failed` (a trial render with a sample contact
 * failed).
 *
 * Subject length is measured in display columns: East Asian wide and fullwidth characters (CJK,
 * kana, hangul, fullwidth forms) and emoji count 2, everything else 1, because that is the room
 * they take in an inbox list and in the 78-column line RFC 5322 recommends. Liquid tags count
 * nothing and each `{{ … }}` output counts as 10 columns (a typical name), since the real value is
 * known only per contact.
 */
import "server-only";
import type { Template } from "liquidjs";
import { findAnchorHrefs } from "./links";
import { issue, issueFromError, lineAndColumn, parsePart, suggestion, TemplateError, type Issue } from "./diagnostics";
import { engineFor, type TemplatePart } from "./engine";
import type { ReasonParams } from "@/lib/i18n/reasons-en";

export type { Issue } from "./diagnostics";
export type { TemplatePart } from "./engine";

/**
 * `channel: "sms"`: the text alone is the message (subject and HTML unused, the text required);
 * `"whatsapp"`: the text is the optional free text (its approved template is checked in whatsapp.ts).
 */
export type LintInput = { subject: string; html: string; text?: string | null; channel?: "email" | "sms" | "whatsapp" };
export type LintResult = { errors: Issue[]; warnings: Issue[] };

/** Variables every message has: the contact's own fields (`attributes.<column>` for any column). */
export const CONTACT_VARIABLES = ["name", "email", "attributes"] as const;

/** Variables the sending pipeline provides for every message. */
export const SYSTEM_VARIABLES = ["unsubscribe_url", "view_in_browser_url", "sender_name", "sender_address", "date"] as const;

/** Every top-level variable a template may use without a warning. */
export const KNOWN_VARIABLES: readonly string[] = [...CONTACT_VARIABLES, ...SYSTEM_VARIABLES];

export const SUBJECT_MAX_COLUMNS = 78;
/** Columns an output `{{ … }}` is assumed to take when a subject is measured. */
export const SUBJECT_OUTPUT_COLUMNS = 10;
const ALL_CAPS_MIN_LETTERS = 4;

const SAMPLE_CONTACT = { name: "Alex Example", email: "alex@example.com", attributes: {} };
const SAMPLE_SYSTEM = {
  unsubscribe_url: "https://example.com/u/sample",
  view_in_browser_url: "https://example.com/v/sample",
  sender_name: "Example",
  sender_address: "news@example.com",
  date: "2026-01-01",
};

export function lintTemplate(input: LintInput): LintResult {
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  const text = input.text?.trim() ? input.text : null;

  const parsed: Partial<Record<TemplatePart, Template[]>> = {};
  const parse = (part: TemplatePart, source: string) => {
    try {
      parsed[part] = parsePart(part, source);
    } catch (error) {
      if (error instanceof TemplateError) errors.push(error.issue);
      else throw error;
    }
  };

  if (input.channel === "sms") {
    if (text !== null) parse("text", text);
    else errors.push(issue({ code: "text_empty", reason: "lintTextEmpty" }, "text"));
  } else if (input.channel === "whatsapp") {
    if (text !== null) parse("text", text);
  } else {
    if (!input.subject.trim()) errors.push(issue({ code: "subject_empty", reason: "lintSubjectEmpty" }, "subject"));
    else parse("subject", input.subject);

    if (!input.html.trim()) errors.push(issue({ code: "html_empty", reason: "lintHtmlEmpty" }, "html"));
    else parse("html", input.html);

    if (text !== null) parse("text", text);
    else warnings.push(issue({ code: "missing_text", reason: "lintMissingText" }, "text"));
  }

  for (const part of ["subject", "html", "text"] as const) {
    const templates = parsed[part];
    if (templates) warnings.push(...unknownVariables(part, templates));
  }

  if (input.html) {
    warnings.push(...insecureLinks(input.html));
    warnings.push(...imagesWithoutAlt(input.html));
  }

  if (input.subject.trim()) {
    const columns = subjectColumns(input.subject);
    if (columns > SUBJECT_MAX_COLUMNS) {
      warnings.push(issue({ code: "subject_too_long", reason: "lintSubjectTooLong", params: { columns, max: SUBJECT_MAX_COLUMNS } }, "subject"));
    }
    if (isAllCaps(input.subject)) {
      warnings.push(issue({ code: "subject_all_caps", reason: "lintSubjectAllCaps" }, "subject"));
    }
  }

  if (errors.length === 0) {
    const failure = trialRender(parsed, { subject: input.subject, html: input.html, text: text ?? "" });
    if (failure) warnings.push(failure);
  }

  return { errors, warnings };
}

/** True when there is nothing stopping the template from being used. */
export function isUsable(result: LintResult): boolean {
  return result.errors.length === 0;
}

// ---------------------------------------------------------------------------------------------

function unknownVariables(part: TemplatePart, templates: Template[]): Issue[] {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  const analysis = engineFor(part).analyzeSync(templates, { partials: false });
  for (const [root, occurrences] of Object.entries(analysis.globals)) {
    if (KNOWN_VARIABLES.includes(root)) continue;
    for (const variable of occurrences) {
      const path = variable.toString();
      if (seen.has(path)) continue;
      seen.add(path);
      const near = suggestion(root, KNOWN_VARIABLES) ?? (/^[A-Za-z_][\w-]*$/.test(root) ? `attributes.${root}` : undefined);
      const params: ReasonParams = near ? { name: path, suggestion: near } : { name: path };
      const at = { line: variable.location.row, column: variable.location.col };
      issues.push(issue({ code: "unknown_variable", reason: near ? "lintUnknownVariableNear" : "lintUnknownVariable", params }, part, at));
    }
  }
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

function insecureLinks(html: string): Issue[] {
  const issues: Issue[] = [];
  for (const anchor of findAnchorHrefs(html)) {
    if (!/^http:/i.test(anchor.url)) continue;
    issues.push(issue({ code: "insecure_link", reason: "lintInsecureLink", params: { url: shorten(anchor.url) } }, "html", lineAndColumn(html, anchor.attrStart)));
  }
  return issues;
}

const IMG_TAG = /<img(?=[\s/>])(?:[^>"']|"[^"]*"|'[^']*')*>/gi;
const ATTRIBUTE = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;

function imagesWithoutAlt(html: string): Issue[] {
  const issues: Issue[] = [];
  IMG_TAG.lastIndex = 0;
  for (let tag = IMG_TAG.exec(html); tag; tag = IMG_TAG.exec(html)) {
    let hasAlt = false;
    let src = "";
    ATTRIBUTE.lastIndex = 4; // after "<img"
    for (let attr = ATTRIBUTE.exec(tag[0]); attr; attr = ATTRIBUTE.exec(tag[0])) {
      const name = attr[1]!.toLowerCase();
      if (name === "alt") hasAlt = true;
      if (name === "src") src = attr[2] ?? attr[3] ?? attr[4] ?? "";
    }
    if (hasAlt) continue;
    const found = src ? { reason: "lintImageWithoutAltSrc" as const, params: { src: shorten(src) } } : { reason: "lintImageWithoutAlt" as const };
    issues.push(issue({ code: "image_without_alt", ...found }, "html", lineAndColumn(html, tag.index)));
  }
  return issues;
}

const LIQUID_TAG = /\{%[\s\S]*?%\}/g;
const LIQUID_OUTPUT = /\{\{[\s\S]*?\}\}/g;

/** Display columns of a subject as written (see the file comment for the rule). */
export function subjectColumns(subject: string): number {
  const withoutTags = subject.replace(LIQUID_TAG, "");
  let outputs = 0;
  const literal = withoutTags.replace(LIQUID_OUTPUT, () => {
    outputs++;
    return "";
  });
  return displayWidth(literal.trim()) + outputs * SUBJECT_OUTPUT_COLUMNS;
}

/** Columns a string takes: East Asian wide/fullwidth characters and emoji 2, others 1. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += isWide(char.codePointAt(0)!) ? 2 : 1;
  return width;
}

function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) || // Hangul Jamo
    (code >= 0x2e80 && code <= 0x303e) || // CJK radicals, punctuation
    (code >= 0x3041 && code <= 0x33ff) || // kana, CJK compatibility
    (code >= 0x3400 && code <= 0x4dbf) || // CJK extension A
    (code >= 0x4e00 && code <= 0x9fff) || // CJK unified ideographs
    (code >= 0xa000 && code <= 0xa4cf) || // Yi
    (code >= 0xac00 && code <= 0xd7a3) || // Hangul syllables
    (code >= 0xf900 && code <= 0xfaff) || // CJK compatibility ideographs
    (code >= 0xfe30 && code <= 0xfe4f) || // CJK compatibility forms
    (code >= 0xff00 && code <= 0xff60) || // fullwidth forms
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1f64f) || // emoji
    (code >= 0x1f900 && code <= 0x1f9ff) ||
    (code >= 0x20000 && code <= 0x3fffd) // CJK extensions B and later
  );
}

/** Letters present, none lower-case, at least four upper-case ones (Liquid left out; CJK has no case). */
export function isAllCaps(subject: string): boolean {
  const literal = subject.replace(LIQUID_TAG, "").replace(LIQUID_OUTPUT, "");
  const upper = literal.match(/\p{Lu}/gu)?.length ?? 0;
  const lower = literal.match(/\p{Ll}/gu)?.length ?? 0;
  return upper >= ALL_CAPS_MIN_LETTERS && lower === 0;
}

function trialRender(parsed: Partial<Record<TemplatePart, Template[]>>, sources: Record<TemplatePart, string>): Issue | undefined {
  const scope = { ...SAMPLE_SYSTEM, ...SAMPLE_CONTACT };
  for (const part of ["subject", "html", "text"] as const) {
    const templates = parsed[part];
    if (!templates) continue;
    try {
      engineFor(part).renderSync(templates, scope);
    } catch (error) {
      const failure = issueFromError(error, part, sources[part], "render");
      const position = failure.line ? { line: failure.line, column: failure.column ?? 1 } : undefined;
      return issue({ code: failure.code, reason: "lintTrialRenderFailed", params: { ...failure.params, problem: failure.reason } }, part, position);
    }
  }
  return undefined;
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
