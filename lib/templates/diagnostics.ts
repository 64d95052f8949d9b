/**
 * What is wrong with a template, in plain English and at the line and column of its part: LiquidJS's
 * parse and render errors reworded (`TemplateError` carries one as its `issue`), with a "Did you
 * mean …?" for a near-miss filter or tag name.
 */
import "server-only";
import { LiquidError, type Template } from "liquidjs";
import { engineFor, knownFilters, type TemplatePart } from "./engine";

/** A problem in a template; line and column are 1-based within its part (columns count characters). */
export type Issue = {
  code: string;
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
