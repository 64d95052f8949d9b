import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, sourceFiles } from "../helpers/imports";

/*
 * A lib module does one thing, and one thing rarely needs more than 350 lines. A longer file says
 * why at its top, in a comment that opens the file and uses the word "long" for it, so the reason
 * is read before the length is.
 */

const LIMIT = 350;

function leadingComment(text: string): string {
  const match = /^\s*(\/\*[\s\S]*?\*\/|(?:\/\/[^\n]*\n\s*)+)/.exec(text);
  return match?.[1] ?? "";
}

describe("file size", () => {
  it(`no file under lib/ is over ${LIMIT} lines without a comment at its top saying why it is long`, () => {
    const long = sourceFiles("lib").map((file) => ({ file, text: fs.readFileSync(path.join(ROOT, file), "utf8") })).filter(({ text }) => text.split("\n").length > LIMIT);
    const unexplained = long.filter(({ text }) => !/\blong\b/i.test(leadingComment(text))).map(({ file, text }) => `${file}: ${text.split("\n").length} lines`);
    expect(unexplained).toEqual([]);
  });
});
