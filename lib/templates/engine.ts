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

function createEngine(escapeHtml: boolean): Liquid {
  const engine = new Liquid({
    strictFilters: true,
    strictVariables: false,
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

/** Names of all filters the engines know, for suggestions. */
export function knownFilters(): string[] {
  return Object.keys(engineFor("text").filters);
}
