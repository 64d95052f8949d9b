/**
 * Compiling a template: each part (subject, HTML, plain text) parsed once, the plain text generated
 * from the HTML when there is none, and the result kept in a bounded LRU cache.
 */
import "server-only";
import type { Template } from "liquidjs";
import { parsePart } from "./diagnostics";
import { engineFor } from "./engine";
import { CompiledParts, type CompiledTemplate, type TemplateSource } from "./render";
import { CompiledPart } from "./render-plan";
import { htmlTemplateToTextTemplate, htmlTemplateToTextTemplateWithoutTags } from "./text";

/** The plain-text template generated from an HTML template, always parseable. */
function textTemplateFromHtml(html: string): { source: string; templates: Template[] } {
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

/** Most compiled templates kept; the least recently used goes first. */
export const TEMPLATE_CACHE_SIZE = 500;
/**
 * Most source characters (subject, HTML and text of every entry together) the cache keeps: the
 * live preview compiles every distinct draft, and a draft may be 2 MB, so a count alone would let
 * 500 of them stay resident. (One entry always fits: LiquidJS refuses parts over 5M characters.)
 */
export const TEMPLATE_CACHE_BYTES = 32 * 1024 * 1024;
const cache = new Map<string, CompiledParts>();
let cachedBytes = 0;

function sourceBytes(compiled: CompiledParts): number {
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
  const compiled = new CompiledParts(template.id, template.version, { subject: template.subject, html: template.html, text: textGiven }, subject, html, text, textGiven === null);
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
