/**
 * What is wrong with a template, at the line and column of its part: LiquidJS's parse and render
 * errors turned into reasons of the server catalogues (`TemplateError` carries one as its `issue`),
 * with a "Did you mean …?" for a near-miss filter or tag name. The console words the reason in the
 * reader's language; `message` is its English wording for the API.
 */
import "server-only";
import { LiquidError, type Template } from "liquidjs";
import { describeReason } from "@/lib/i18n/describe";
import { reasonsEn, type Reason, type ReasonParams } from "@/lib/i18n/reasons-en";
import { engineFor, knownFilters, type TemplatePart } from "./engine";

/** A problem in a template; line and column are 1-based within its part (columns count characters). */
export type Issue = {
  code: string;
  /** A key of the server catalogues' messages; `params` fills its {placeholders}. */
  reason: Reason;
  params: ReasonParams;
  /** The reason in English, for API callers. */
  message: string;
  part: TemplatePart;
  line?: number;
  column?: number;
};

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

/** Turns a LiquidJS error (or another error thrown by it) into an Issue worded by a reason. */
export function issueFromError(error: unknown, part: TemplatePart, source: string, stage: "parse" | "render"): Issue {
  if (!(error instanceof LiquidError) && !LiquidError.is(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return issue(stage === "parse" ? describeSyntax(message, undefined) : describeRender(message, undefined), part);
  }
  const liquidError = error as LiquidError;
  const token = liquidError.token;
  const position = token && typeof token.begin === "number" ? lineAndColumn(token.input === source ? source : token.input, token.begin) : undefined;
  const raw = (liquidError.originalError?.message ?? liquidError.message).replace(/, line:\d+, col:\d+$/, "");
  const found = stage === "parse" ? describeSyntax(raw, position) : describeRender(raw, position);
  return issue(found, part, position);
}

type Found = { reason: Reason; params?: ReasonParams };

/** An Issue with its English message, worded from its reason like the API's errors. */
export function issue(found: Found & { code: string }, part: TemplatePart, position?: { line: number; column: number }): Issue {
  const params = found.params ?? {};
  return {
    code: found.code,
    reason: found.reason,
    params,
    message: describeReason(reasonsEn, found.reason, params),
    part,
    ...(position ? { line: position.line, column: position.column } : {}),
  };
}

function describeLimit(message: string): Found | undefined {
  if (/parse length limit exceeded/.test(message)) return { reason: "lintTemplateTooLong" };
  if (/template render limit exceeded/.test(message)) return { reason: "lintRenderTooSlow" };
  if (/memory alloc limit exceeded/.test(message)) return { reason: "lintRenderTooMuchMemory" };
  return undefined;
}

/** What went wrong while rendering; the library's own text stays in `detail`, never in the words. */
function describeRender(raw: string, position: { line: number; column: number } | undefined): Found & { code: string } {
  const limit = describeLimit(raw);
  if (limit) return { code: "render_failed", ...limit };
  return { code: "render_failed", ...(position ? { reason: "lintRenderFailedAt", params: { ...position, detail: raw } } : { reason: "lintRenderFailed", params: { detail: raw } }) };
}

function describeSyntax(raw: string, position: { line: number; column: number } | undefined): Found & { code: string } {
  let m: RegExpExecArray | null;
  if ((m = /^undefined filter: (.+)$/.exec(raw))) {
    const name = m[1]!.trim();
    const near = suggestion(name, knownFilters());
    return { code: "unknown_filter", ...(near ? { reason: "lintUnknownFilterNear", params: { name, suggestion: near } } : { reason: "lintUnknownFilter", params: { name } }) };
  }
  if ((m = /^tag "(.+)" not found$/.exec(raw))) {
    const tag = m[1]!;
    const opener = /^end(.+)$/.exec(tag)?.[1];
    if (opener) return syntax("lintStrayEndTag", { tag, opener });
    if (["else", "elsif", "when", "break", "continue"].includes(tag)) return syntax("lintMisplacedTag", { tag });
    const near = suggestion(tag, Object.keys(engineFor("text").tags));
    return near ? syntax("lintUnknownTagNear", { tag, suggestion: near }) : syntax("lintUnknownTag", { tag });
  }
  if ((m = /^tag (\{%[\s\S]*%\}) not closed$/.exec(raw))) {
    const snippet = m[1]!;
    const name = /^\{%-?\s*(\w+)/.exec(snippet)?.[1] ?? "";
    return syntax("lintBlockNotClosed", { snippet: shorten(snippet), closer: `end${name}` });
  }
  if ((m = /^tag "([\s\S]*)" not closed$/.exec(raw))) return syntax("lintTagNotClosed", { snippet: shorten(m[1]!) });
  if ((m = /^output "([\s\S]*)" not closed$/.exec(raw))) return syntax("lintOutputNotClosed", { snippet: shorten(m[1]!) });
  if (/^raw "([\s\S]*)" not closed$/.test(raw)) return syntax("lintBlockNotClosed", { snippet: "{% raw %}", closer: "endraw" });
  if ((m = /^illegal tag: ([\s\S]+)$/.exec(raw))) return syntax("lintMalformedTag", { snippet: shorten(m[1]!) });
  if (/^invalid value expression: ""$/.test(raw)) return syntax("lintValueMissing");
  if ((m = /^invalid value expression: "([\s\S]*)"$/.exec(raw))) return syntax("lintInvalidValue", { snippet: shorten(m[1]!) });
  if (/^duplicated else/.test(raw)) return syntax("lintDuplicateElse", { tag: "else" });
  if ((m = /^unexpected character "([\s\S]*)"$/.exec(raw))) return syntax("lintUnexpectedCharacter", { snippet: shorten(m[1]!) });
  if ((m = /^the \{% (\w+) %\} tag is not available in e-mail templates/.exec(raw))) return syntax("lintTagUnavailable", { tag: m[1]! });
  if ((m = /^(\S+) not closed$/.exec(raw))) return syntax("lintNotClosed", { snippet: shorten(m[1]!) });
  const limit = describeLimit(raw);
  if (limit) return { code: "liquid_syntax", ...limit };
  // The library's own words stay in `detail` for API callers; the sentence says only where.
  return position ? syntax("lintSyntaxAt", { ...position, detail: raw }) : syntax("lintSyntax", { detail: raw });
}

function syntax(reason: Reason, params: ReasonParams = {}): Found & { code: string } {
  return { code: "liquid_syntax", reason, params };
}

/** A snippet of the template on one line, cut at 40 characters. */
function shorten(snippet: string): string {
  const oneLine = snippet.replace(/\s+/g, " ");
  return oneLine.length > 40 ? `${oneLine.slice(0, 40)}…` : oneLine;
}

/** The candidate a name nearly is ("upcase" for "upcse": edit distance ≤ 2, and less than half the name), else undefined. */
export function suggestion(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= 2 && bestDistance < name.length / 2 ? best : undefined;
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
