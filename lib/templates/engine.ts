/**
 * The two LiquidJS engines templates are parsed and rendered with: the HTML one escapes every value
 * it outputs, the subject and plain-text one does not. Both refuse tags that read files, keep
 * unknown filters an error, bound each render in time and memory, and date in the company time zone.
 */
import "server-only";
import { Liquid, type FilterImplOptions } from "liquidjs";
import { readEnv } from "@/lib/config/env";

export type TemplatePart = "subject" | "html" | "text";

/** Tags that would read files (or make no sense without them). */
const UNAVAILABLE_TAGS = ["include", "render", "layout", "block"] as const;

function createEngine(escapeHtml: boolean, strictVariables = false): Liquid {
  const engine = new Liquid({
    strictFilters: true,
    strictVariables,
    // With strict variables, an `if` on a missing one is false instead of an error (an optional value).
    lenientIf: strictVariables,
    ownPropertyOnly: true,
    outputEscape: escapeHtml ? "escape" : undefined,
    cache: false,
    timezoneOffset: readEnv().timeZone,
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

let strictHtmlEngine: Liquid | undefined;
let strictPlainEngine: Liquid | undefined;

/** The same engines with strict variables: a render names the first variable its data lacks (checking data before it is accepted). */
export function strictEngineFor(part: TemplatePart): Liquid {
  if (part === "html") return (strictHtmlEngine ??= createEngine(true, true));
  return (strictPlainEngine ??= createEngine(false, true));
}

/** Names of all filters the engines know, for suggestions. */
export function knownFilters(): string[] {
  return Object.keys(engineFor("text").filters);
}
