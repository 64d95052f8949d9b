import { beforeEach, describe, expect, it } from "vitest";
import { clearTemplateCache, compileTemplate, TEMPLATE_CACHE_BYTES, templateCacheBytes, templateCacheSize } from "@/lib/templates/compile";

const DRAFT_CHARS = 2 * 1024 * 1024;

/** A 2 MB draft as the live preview compiles it: every edit is a distinct template. */
function draft(n: number) {
  const html = `<p>Draft ${n} for {{ name }}</p>` + "<p>lorem ipsum dolor sit amet</p>".repeat(DRAFT_CHARS / 32);
  return { id: `preview:${n}`, version: 0, subject: `Draft ${n}`, html, text: `Draft ${n} for {{ name }}` };
}

describe("compiled-template cache", () => {
  beforeEach(() => clearTemplateCache());

  it("keeps no more than TEMPLATE_CACHE_BYTES of sources, dropping the least recently used drafts", () => {
    const first = compileTemplate(draft(0));
    let largest = 0;
    for (let n = 1; n < 24; n++) {
      compileTemplate(draft(n));
      largest = Math.max(largest, templateCacheBytes());
      expect(templateCacheBytes()).toBeLessThanOrEqual(TEMPLATE_CACHE_BYTES);
    }
    // 24 drafts of 2 MiB (and a few characters) are 48 MiB; 15 of them fit in 32 MiB, newest first.
    expect(largest).toBeGreaterThan(TEMPLATE_CACHE_BYTES - 3 * DRAFT_CHARS);
    expect(templateCacheSize()).toBe(15);
    const newest = compileTemplate(draft(23));
    expect(compileTemplate(draft(23))).toBe(newest);
    expect(compileTemplate(draft(0))).not.toBe(first);
    expect(first.render({ email: "a@example.com", name: "Ann", attributes: {} }).html.startsWith("<p>Draft 0 for Ann</p>")).toBe(true);
  });
});
