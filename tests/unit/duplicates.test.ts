import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/imports";

/*
 * No copied logic in lib/ or app/: jscpd finds no run of six or more lines (sixty tokens) that
 * stands twice. A table's column list or a form's field markup is shorter than that; a copied
 * query, guard or list page is not (before issue 20 it found four, all copied page logic).
 */

// jscpd's ES build imports "colors/safe" without an extension, which Node's ESM loader refuses; its CommonJS build is fine.
const { detectClones } = createRequire(import.meta.url)("jscpd") as typeof import("jscpd");

describe("duplicate code", () => {
  it("lib/ and app/ hold no copied run of 6 lines or more", async () => {
    const clones = await detectClones({
      path: [path.join(ROOT, "lib"), path.join(ROOT, "app")],
      format: ["typescript", "tsx"],
      minLines: 6,
      minTokens: 60,
      silent: true,
      reporters: [],
      gitignore: true,
    });
    const pairs = clones.map((clone) => `${path.relative(ROOT, clone.duplicationA.sourceId)}:${clone.duplicationA.start.line} ~ ${path.relative(ROOT, clone.duplicationB.sourceId)}:${clone.duplicationB.start.line}`);
    expect(pairs).toEqual([]);
  }, 60_000);
});
