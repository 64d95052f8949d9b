/**
 * A compiled template rendered per contact: the scope each render sees, and the message it returns.
 * `compileTemplate` (compile.ts) builds one; the parts are parsed by the engines in engine.ts and
 * rendered by the plan in render-plan.ts; what goes wrong is a `TemplateError` (diagnostics.ts).
 *
 * - Filters are strict: an unknown filter is a compile error (`TemplateError`, code
 *   `unknown_filter`, with line and column in its part). Variables are lenient: an unknown one
 *   renders empty (lint warns about it).
 * - The HTML part escapes every value it inserts (`<script>` in a name arrives as `&lt;script&gt;`);
 *   `| raw` as the last filter opts out, and `| escape` as the last filter escapes once, not twice.
 *   Subject and text are not escaped.
 * - The rendered subject never holds a line break (CR, LF and the other line separators become one
 *   space; the result is trimmed): no header injection through contact data.
 * - Templates cannot reach files (`include`, `render`, `layout` and `block` are refused at compile)
 *   and each render is bounded in time and memory.
 * - Dates: the `date` filter and `"now"` use the company time zone (`readEnv().timeZone`:
 *   `FANOUT_TIMEZONE`, default Asia/Shanghai, an unknown zone refused); a date string keeps its own offset, so `"2026-01-02" | date: "%d.%m."` is the
 *   2nd everywhere. `{{ date }}` is today in that zone (YYYY-MM-DD) unless the caller passes one.
 */
import "server-only";
import { readEnv } from "@/lib/config/env";
import { zonedDate } from "@/lib/time/zone";
import type { CompiledPart } from "./render-plan";

export type Contact = { email: string; name: string; attributes: Record<string, string> };

export type TemplateSource = { id: string; version: number; subject: string; html: string; text?: string | null };

export type RenderedMessage = { subject: string; html: string; text: string };

export interface CompiledTemplate {
  readonly id: string;
  readonly version: number;
  /** True when the template had no plain text and it was generated from the HTML. */
  readonly textGenerated: boolean;
  /** The plain-text template used (the given one, or the one generated from the HTML). */
  readonly textSource: string;
  /**
   * Renders one message. `extra` supplies the system variables (`unsubscribe_url`,
   * `view_in_browser_url`, `sender_name`, `sender_address`, `date`) and anything else; the
   * contact's `name`, `email` and `attributes` always win over keys of the same name in `extra`.
   * Throws `TemplateError` (code `render_failed`) when rendering fails, e.g. a render limit.
   */
  render(contact: Contact, extra?: Record<string, unknown>): RenderedMessage;
}

const LINE_BREAKS = /\s*[\r\n\v\f\u0085\u2028\u2029]+\s*/g;
const CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f]/g;

/** A header value as received (a display name, a subject) on one line: each run of control characters a space, trimmed. */
export function oneLine(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
}

/** A rendered subject made safe for a header: one line, no control characters, trimmed. */
export function cleanSubject(subject: string): string {
  return subject.replace(LINE_BREAKS, " ").replace(CONTROL, "").trim();
}

let today: { minute: number; zone: string; date: string } | undefined;

function todayInZone(): string {
  const minute = Math.floor(Date.now() / 60_000);
  if (today?.minute === minute) return today.date;
  const zone = readEnv().timeZone;
  today = { minute, zone, date: zonedDate(new Date(), zone) };
  return today.date;
}

/** The three parts of a compiled template, rendered together into one message. */
export class CompiledParts implements CompiledTemplate {
  constructor(
    readonly id: string,
    readonly version: number,
    readonly source: { subject: string; html: string; text: string | null },
    private readonly subject: CompiledPart,
    private readonly html: CompiledPart,
    private readonly text: CompiledPart,
    readonly textGenerated: boolean,
  ) {}

  get textSource(): string {
    return this.text.source;
  }

  render(contact: Contact, extra?: Record<string, unknown>): RenderedMessage {
    const scope: Record<string, unknown> = { date: undefined };
    if (extra) for (const key in extra) scope[key] = extra[key];
    if (scope.date === undefined) scope.date = todayInZone();
    scope.name = contact.name ?? "";
    scope.email = contact.email;
    scope.attributes = contact.attributes ?? {};
    const subject = cleanSubject(this.subject.render(scope));
    const html = this.html.render(scope);
    const text = this.text.render(scope);
    return { subject, html, text: this.textGenerated ? tidyGenerated(text) : text };
  }
}

/** Blank-line runs that an empty `{% if %}` branch leaves in generated text, and the ends trimmed. */
function tidyGenerated(text: string): string {
  const collapsed = text.replace(/\n(?:[ \t]*\n){2,}/g, "\n\n");
  return collapsed.trim();
}

