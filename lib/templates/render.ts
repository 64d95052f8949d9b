/**
 * Compiled, cached templates: each part (subject, HTML, plain text) is parsed once by LiquidJS and
 * rendered synchronously per contact.
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
 * - Dates: the `date` filter and `"now"` use the company time zone (`FANOUT_TIMEZONE`, default
 *   Asia/Shanghai); a date string keeps its own offset, so `"2026-01-02" | date: "%d.%m."` is the
 *   2nd everywhere. `{{ date }}` is today in that zone (YYYY-MM-DD) unless the caller passes one.
 */
import { Context, Drop, Liquid, LiquidError, Output, TokenKind, toValueSync, type FilterImplOptions, type Template } from "liquidjs";
import { zonedDate } from "@/lib/time/zone";
import { htmlTemplateToTextTemplate, htmlTemplateToTextTemplateWithoutTags } from "./text";

export type TemplatePart = "subject" | "html" | "text";

/** A problem in a template; line and column are 1-based within its part (columns count characters). */
export type Issue = {
  code: string;
  message: string;
  part: TemplatePart;
  line?: number;
  column?: number;
};

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

/** A template that cannot be compiled or rendered; `issue` says where and why. */
export class TemplateError extends Error {
  readonly issue: Issue;
  constructor(issue: Issue) {
    const where = issue.line ? ` (line ${issue.line}, column ${issue.column ?? 1})` : "";
    super(`${PART_LABEL[issue.part]}${where}: ${issue.message}`);
    this.name = "TemplateError";
    this.issue = issue;
  }
  get code(): string {
    return this.issue.code;
  }
  get part(): TemplatePart {
    return this.issue.part;
  }
  get line(): number | undefined {
    return this.issue.line;
  }
  get column(): number | undefined {
    return this.issue.column;
  }
}

const PART_LABEL: Record<TemplatePart, string> = { subject: "Subject", html: "HTML", text: "Plain text" };

// ---------------------------------------------------------------------------------------------
// Engines

const DEFAULT_TIME_ZONE = "Asia/Shanghai";

let zoneMemo: { setting: string | undefined; zone: string } | undefined;

/** The company time zone (`FANOUT_TIMEZONE`), falling back to the default when unset or unknown. */
export function templateTimeZone(): string {
  const setting = process.env.FANOUT_TIMEZONE;
  if (zoneMemo && zoneMemo.setting === setting) return zoneMemo.zone;
  let zone = setting?.trim() || DEFAULT_TIME_ZONE;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
  } catch {
    zone = DEFAULT_TIME_ZONE;
  }
  zoneMemo = { setting, zone };
  return zone;
}

/** Tags that would read files (or make no sense without them). */
const UNAVAILABLE_TAGS = ["include", "render", "layout", "block"] as const;

function createEngine(escapeHtml: boolean): Liquid {
  const engine = new Liquid({
    strictFilters: true,
    strictVariables: false,
    ownPropertyOnly: true,
    outputEscape: escapeHtml ? "escape" : undefined,
    cache: false,
    timezoneOffset: templateTimeZone(),
    preserveTimezones: true,
    parseLimit: 5_000_000,
    renderLimit: 2_000,
    memoryLimit: 50_000_000,
  });
  for (const name of UNAVAILABLE_TAGS) {
    engine.registerTag(name, {
      parse() {
        throw new Error(`the {% ${name} %} tag is not available in e-mail templates (a template cannot read other files)`);
      },
      render() {},
    });
  }
  if (escapeHtml) {
    // Marked raw, so "{{ x | escape }}" escapes once instead of once by the filter and again on output.
    for (const name of ["escape", "escape_once"]) {
      const impl = engine.filters[name] as FilterImplOptions | undefined;
      const handler = typeof impl === "function" ? impl : impl?.handler;
      if (handler) engine.registerFilter(name, { handler, raw: true });
    }
  }
  return engine;
}

let htmlEngine: Liquid | undefined;
let plainEngine: Liquid | undefined;

/** The LiquidJS engine a part is parsed and rendered with (HTML escapes output; the others do not). */
export function engineFor(part: TemplatePart): Liquid {
  if (part === "html") return (htmlEngine ??= createEngine(true));
  return (plainEngine ??= createEngine(false));
}

/** Names of all filters the engines know, for suggestions. */
export function knownFilters(): string[] {
  return Object.keys(engineFor("text").filters);
}

// ---------------------------------------------------------------------------------------------
// Parsing and errors

/** Parses one part; throws `TemplateError` with the line and column of the problem. */
export function parsePart(part: TemplatePart, source: string): Template[] {
  const engine = engineFor(part);
  try {
    return engine.parse(source);
  } catch (error) {
    throw new TemplateError(issueFromError(error, part, source, "parse"));
  }
}

/** 1-based line and column of an offset; a column counts characters (a CJK character or an emoji is one). */
export function lineAndColumn(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), source.length);
  for (let i = source.indexOf("\n"); i !== -1 && i < end; i = source.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  let column = 1;
  for (let i = lineStart; i < end; i++) {
    const code = source.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < end) i++;
    column++;
  }
  return { line, column };
}

/** Turns a LiquidJS error (or another error thrown by it) into an Issue in plain English. */
export function issueFromError(error: unknown, part: TemplatePart, source: string, stage: "parse" | "render"): Issue {
  if (!(error instanceof LiquidError) && !LiquidError.is(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return { code: stage === "parse" ? "liquid_syntax" : "render_failed", message: describeLimit(message), part };
  }
  const liquidError = error as LiquidError;
  const token = liquidError.token;
  const position = token && typeof token.begin === "number" ? lineAndColumn(token.input === source ? source : token.input, token.begin) : undefined;
  const raw = (liquidError.originalError?.message ?? liquidError.message).replace(/, line:\d+, col:\d+$/, "");
  const { code, message } = stage === "parse" ? describeSyntax(raw) : { code: "render_failed", message: `Rendering failed: ${describeLimit(raw)}` };
  return { code, message, part, ...(position ? { line: position.line, column: position.column } : {}) };
}

function describeLimit(message: string): string {
  if (/parse length limit exceeded/.test(message)) return "The template is too long.";
  if (/template render limit exceeded/.test(message)) return "The template took too long to render (a loop that runs too often?).";
  if (/memory alloc limit exceeded/.test(message)) return "The template uses too much memory (a range or loop that is too large?).";
  return sentence(message);
}

function describeSyntax(raw: string): { code: string; message: string } {
  let m: RegExpExecArray | null;
  if ((m = /^undefined filter: (.+)$/.exec(raw))) {
    const name = m[1]!.trim();
    return { code: "unknown_filter", message: `Unknown filter "${name}".${suggestion(name, knownFilters())}` };
  }
  if ((m = /^tag "(.+)" not found$/.exec(raw))) {
    const name = m[1]!;
    const opener = /^end(.+)$/.exec(name)?.[1];
    if (opener) return syntax(`"{% ${name} %}" closes nothing: there is no open "{% ${opener} %}" before it.`);
    if (["else", "elsif", "when", "break", "continue"].includes(name)) return syntax(`"{% ${name} %}" is not allowed here: it belongs inside an "{% if %}", "{% case %}" or "{% for %}" block.`);
    return syntax(`Unknown tag "{% ${name} %}".${suggestion(name, Object.keys(engineFor("text").tags))}`);
  }
  if ((m = /^tag (\{%[\s\S]*%\}) not closed$/.exec(raw))) {
    const tag = m[1]!;
    const name = /^\{%-?\s*(\w+)/.exec(tag)?.[1] ?? "";
    return syntax(`${quote(tag)} is never closed: add "{% end${name} %}".`);
  }
  if ((m = /^tag "([\s\S]*)" not closed$/.exec(raw))) return syntax(`The tag ${quote(m[1]!)} is missing its closing "%}".`);
  if ((m = /^output "([\s\S]*)" not closed$/.exec(raw))) return syntax(`The output ${quote(m[1]!)} is missing its closing "}}".`);
  if ((m = /^raw "([\s\S]*)" not closed$/.exec(raw))) return syntax(`"{% raw %}" is never closed: add "{% endraw %}".`);
  if ((m = /^illegal tag: ([\s\S]+)$/.exec(raw))) return syntax(`The tag ${quote(m[1]!)} is not written correctly.`);
  if (/^invalid value expression: ""$/.test(raw)) return syntax("A value is missing here.");
  if ((m = /^invalid value expression: "([\s\S]*)"$/.exec(raw))) return syntax(`${quote(m[1]!)} is not a valid value.`);
  if (/^duplicated else/.test(raw)) return syntax(`This block has more than one "{% else %}".`);
  if ((m = /^unexpected character "([\s\S]*)"$/.exec(raw))) return syntax(`Unexpected ${quote(m[1]!)} here.`);
  if ((m = /^(\S+) not closed$/.exec(raw))) return syntax(`"${m[1]}" is never closed.`);
  if (/limit exceeded/.test(raw)) return syntax(describeLimit(raw));
  return syntax(sentence(raw));
}

function syntax(message: string): { code: string; message: string } {
  return { code: "liquid_syntax", message };
}

function quote(snippet: string): string {
  const oneLine = snippet.replace(/\s+/g, " ");
  return `"${oneLine.length > 40 ? `${oneLine.slice(0, 40)}…` : oneLine}"`;
}

function sentence(message: string): string {
  const text = message.trim();
  if (!text) return "Invalid template.";
  const capital = text[0]!.toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** ` Did you mean "upcase"?` for a near miss (edit distance ≤ 2, and less than half the name), else "". */
export function suggestion(name: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= 2 && bestDistance < name.length / 2 ? ` Did you mean "${best}"?` : "";
}

/** Edits (insert, delete, replace, swap two neighbours) from a to b; 3 stands for "3 or more". */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      row[j] = best;
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

// ---------------------------------------------------------------------------------------------
// Compiling and rendering

/** The plain-text template generated from an HTML template, always parseable. */
export function textTemplateFromHtml(html: string): { source: string; templates: Template[] } {
  const attempts = [
    () => htmlTemplateToTextTemplate(html),
    () => htmlTemplateToTextTemplateWithoutTags(html),
    () => htmlTemplateToTextTemplate(html.replace(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g, "")),
  ];
  for (const attempt of attempts) {
    const source = attempt();
    try {
      return { source, templates: engineFor("text").parse(source) };
    } catch {
      // next attempt
    }
  }
  return { source: "", templates: [] };
}

const LINE_BREAKS = /\s*[\r\n\v\f\u0085\u2028\u2029]+\s*/g;
const CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f]/g;

/** A rendered subject made safe for a header: one line, no control characters, trimmed. */
export function cleanSubject(subject: string): string {
  return subject.replace(LINE_BREAKS, " ").replace(CONTROL, "").trim();
}

let today: { minute: number; zone: string; date: string } | undefined;

function todayInZone(): string {
  const minute = Math.floor(Date.now() / 60_000);
  if (today?.minute === minute) return today.date;
  const zone = templateTimeZone();
  today = { minute, zone, date: zonedDate(new Date(), zone) };
  return today.date;
}

// ---------------------------------------------------------------------------------------------
// The render plan
//
// LiquidJS renders through nested generators, which costs a few microseconds per output. A part is
// therefore turned into a plan once: literal HTML becomes a string, and an output whose value is a
// plain variable path (`name`, `attributes.city`, `attributes["a b"]`) or a literal is read
// directly from the scope and then passed through its filters by LiquidJS itself. Everything
// else — tags, computed paths, `size`/`first`/`last`, arrays, drops, a name that a tag has
// assigned — goes through LiquidJS's own rendering of that node, so the output is the same
// (tests/unit/template-render.test.ts compares both on many templates). A part whose nodes are
// not what the plan expects (a future LiquidJS, say) is rendered wholly by LiquidJS.

type FilterLike = { render(value: unknown, ctx: Context): IterableIterator<unknown> };
class OutputStep {
  constructor(
    readonly node: Template,
    readonly path: string[] | null,
    readonly constant: unknown,
    readonly filters: FilterLike[],
  ) {}
}
type Step = string | OutputStep | Template;

const FALLBACK = Symbol("fallback");
const SPECIAL_KEYS = new Set(["size", "first", "last"]);
const hasOwn = Object.prototype.hasOwnProperty;

class BufferEmitter {
  buffer = "";
  write(html: unknown): void {
    this.buffer += stringify(html);
  }
}

function stringify(value: unknown): string {
  if (typeof value === "string") return value;
  const plain = value instanceof Drop ? (value as { valueOf(): unknown }).valueOf() : value;
  if (typeof plain === "string") return plain;
  if (plain === null || plain === undefined) return "";
  if (Array.isArray(plain)) return plain.map(stringify).join("");
  return String(plain);
}

/** The plan for a part, or null when its nodes are not the shapes the plan knows. */
function planFor(templates: Template[]): Step[] | null {
  const steps: Step[] = [];
  for (const node of templates) {
    const token = (node as { token?: { kind?: number } }).token;
    if (token?.kind === TokenKind.HTML) {
      const str = (node as { str?: unknown }).str;
      if (typeof str !== "string") return null;
      const last = steps[steps.length - 1];
      if (typeof last === "string") steps[steps.length - 1] = last + str;
      else steps.push(str);
    } else if (node instanceof Output) {
      steps.push(outputStep(node));
    } else {
      steps.push(node);
    }
  }
  return steps;
}

function outputStep(node: Output): OutputStep | Template {
  const value = node.value as { initial?: { postfix?: unknown[] }; filters?: unknown[] };
  const postfix = value.initial?.postfix;
  const filters = value.filters;
  if (!Array.isArray(postfix) || postfix.length !== 1 || !Array.isArray(filters)) return node;
  if (!filters.every((filter) => typeof (filter as FilterLike)?.render === "function")) return node;
  const initial = postfix[0] as { kind?: number; variable?: unknown; props?: unknown[]; content?: unknown };
  if (initial.kind === TokenKind.Quoted || initial.kind === TokenKind.Number) {
    return new OutputStep(node, null, initial.content, filters as FilterLike[]);
  }
  if (initial.kind !== TokenKind.PropertyAccess || initial.variable !== undefined || !Array.isArray(initial.props) || initial.props.length === 0) return node;
  const path: string[] = [];
  for (const prop of initial.props as { kind?: number; content?: unknown }[]) {
    if ((prop.kind !== TokenKind.Word && prop.kind !== TokenKind.Quoted) || typeof prop.content !== "string") return node;
    if (SPECIAL_KEYS.has(prop.content)) return node;
    path.push(prop.content);
  }
  return new OutputStep(node, path, undefined, filters as FilterLike[]);
}

/** A variable path read as LiquidJS reads it, or FALLBACK when only LiquidJS knows the answer. */
function readPath(ctx: Context, scope: Record<string, unknown>, path: string[]): unknown {
  const root = path[0]!;
  for (const local of (ctx as unknown as { scopes: object[] }).scopes) if (root in local) return FALLBACK;
  let value: unknown = scope;
  for (const key of path) {
    if (value === null || value === undefined) return value;
    if (typeof value !== "object" || Array.isArray(value) || value instanceof Drop || typeof (value as { toLiquid?: unknown }).toLiquid === "function") return FALLBACK;
    value = hasOwn.call(value, key) ? (value as Record<string, unknown>)[key] : undefined;
    if (typeof value === "function") return FALLBACK;
  }
  return value;
}

function renderNode(node: Template, ctx: Context, emitter: BufferEmitter): void {
  const html = toValueSync(node.render(ctx, emitter) as Generator<unknown, unknown, unknown>);
  if (html) emitter.write(html);
}

function runPlan(steps: Step[], engine: Liquid, scope: Record<string, unknown>): string {
  const ctx = new Context(scope, engine.options, { sync: true }, { liquid: engine });
  const emitter = new BufferEmitter();
  for (const step of steps) {
    if (typeof step === "string") {
      emitter.buffer += step;
    } else if (step instanceof OutputStep) {
      let value = step.path ? readPath(ctx, scope, step.path) : step.constant;
      if (value === FALLBACK) {
        renderNode(step.node, ctx, emitter);
        continue;
      }
      for (const filter of step.filters) value = toValueSync(filter.render(value, ctx) as Generator<unknown, unknown, unknown>);
      emitter.buffer += stringify(value);
    } else {
      renderNode(step, ctx, emitter);
    }
  }
  return emitter.buffer;
}

/** `{% increment %}` and `{% decrement %}` write into the render scope itself. */
const WRITES_SCOPE = /\{%-?\s*(?:increment|decrement)\b|\b(?:increment|decrement)\s/;

class CompiledPart {
  private readonly plan: Step[] | null;
  private readonly writesScope: boolean;
  constructor(
    readonly part: TemplatePart,
    readonly source: string,
    readonly templates: Template[],
  ) {
    this.plan = planFor(templates);
    this.writesScope = WRITES_SCOPE.test(source);
  }

  /** Renders with the given scope; a part that writes into it gets its own copy, so parts never see each other's counters. */
  render(shared: Record<string, unknown>): string {
    if (this.templates.length === 0) return "";
    const engine = engineFor(this.part);
    const scope = this.writesScope ? { ...shared } : shared;
    try {
      return this.plan ? runPlan(this.plan, engine, scope) : (engine.renderSync(this.templates, scope) as string);
    } catch (error) {
      throw new TemplateError(issueFromError(error, this.part, this.source, "render"));
    }
  }
}

class Compiled implements CompiledTemplate {
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

/** Most compiled templates kept; the least recently used goes first. */
export const TEMPLATE_CACHE_SIZE = 500;
/**
 * Most source characters (subject, HTML and text of every entry together) the cache keeps: the
 * live preview compiles every distinct draft, and a draft may be 2 MB, so a count alone would let
 * 500 of them stay resident. (One entry always fits: LiquidJS refuses parts over 5M characters.)
 */
export const TEMPLATE_CACHE_BYTES = 32 * 1024 * 1024;
const cache = new Map<string, Compiled>();
let cachedBytes = 0;

function sourceBytes(compiled: Compiled): number {
  return compiled.source.subject.length + compiled.source.html.length + compiled.textSource.length;
}

function forget(key: string): void {
  const entry = cache.get(key);
  if (!entry) return;
  cache.delete(key);
  cachedBytes -= sourceBytes(entry);
}

/**
 * Parses each part of a template once and caches the result by `${id}:${version}` (a bounded
 * LRU). A cached entry is reused only while its sources are the same, so compiling an edited
 * draft under an unchanged version is still correct. Throws `TemplateError` for the first part
 * that does not parse (subject, then HTML, then text).
 */
export function compileTemplate(template: TemplateSource): CompiledTemplate {
  const key = `${template.id}:${template.version}`;
  const textGiven = template.text?.trim() ? template.text : null;
  const hit = cache.get(key);
  if (hit && hit.source.subject === template.subject && hit.source.html === template.html && hit.source.text === textGiven) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const subject = new CompiledPart("subject", template.subject, parsePart("subject", template.subject));
  const html = new CompiledPart("html", template.html, parsePart("html", template.html));
  let text: CompiledPart;
  if (textGiven !== null) {
    text = new CompiledPart("text", textGiven, parsePart("text", textGiven));
  } else {
    const generated = textTemplateFromHtml(template.html);
    text = new CompiledPart("text", generated.source, generated.templates);
  }
  const compiled = new Compiled(template.id, template.version, { subject: template.subject, html: template.html, text: textGiven }, subject, html, text, textGiven === null);
  forget(key);
  cache.set(key, compiled);
  cachedBytes += sourceBytes(compiled);
  while (cache.size > TEMPLATE_CACHE_SIZE || cachedBytes > TEMPLATE_CACHE_BYTES) {
    const oldest = cache.keys().next().value;
    if (oldest === undefined) break;
    forget(oldest);
  }
  return compiled;
}

/** Empties the compiled-template cache (tests; or after a bulk template change). */
export function clearTemplateCache(): void {
  cache.clear();
  cachedBytes = 0;
}

/** Source characters the cache holds (see TEMPLATE_CACHE_BYTES). */
export function templateCacheBytes(): number {
  return cachedBytes;
}

/** How many compiled templates the cache holds. */
export function templateCacheSize(): number {
  return cache.size;
}
