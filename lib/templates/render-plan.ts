/**
 * The fast render path: a parsed part turned into a plan once, and rendered by it per contact.
 *
 * LiquidJS renders through nested generators, which costs a few microseconds per output. A part is
 * therefore turned into a plan once: literal HTML becomes a string, and an output whose value is a
 * plain variable path (`name`, `attributes.city`, `attributes["a b"]`) or a literal is read
 * directly from the scope and then passed through its filters by LiquidJS itself. Everything
 * else — tags, computed paths, `size`/`first`/`last`, arrays, drops, a name that a tag has
 * assigned — goes through LiquidJS's own rendering of that node, so the output is the same
 * (tests/unit/template-render.test.ts compares both on many templates). A part whose nodes are
 * not what the plan expects (a future LiquidJS, say) is rendered wholly by LiquidJS.
 */
import "server-only";
import { Context, Drop, Output, TokenKind, toValueSync, type Liquid, type Template } from "liquidjs";
import { issueFromError, TemplateError } from "./diagnostics";
import { engineFor, type TemplatePart } from "./engine";

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

/** One part of a template, parsed once and rendered by its plan (or by LiquidJS when it has none). */
export class CompiledPart {
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
