/**
 * Every refusal the server can raise is worded in both languages. The sources are read with the
 * TypeScript compiler: each reason named where an error is made (invalidInput, conflict,
 * forbidden, new AppError, new TableFormatError, an address check's fail, a zod issue's rule,
 * a template lint issue's `lint…` reason),
 * each `notFound` subject, each field an error points at and each field of a server action's
 * form must have its entry in reasons-en.ts and reasons-zh.ts; and the Chinese words carry no
 * Latin text beyond the technical names a Chinese user also reads in Latin letters.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { reasonsEn } from "@/lib/i18n/reasons-en";
import { reasonsZh } from "@/lib/i18n/reasons-zh";
import { latinLeftIn } from "../helpers/latin";

const root = path.resolve(__dirname, "../..");

function sourceFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...sourceFiles(relative));
    else if (/\.tsx?$/.test(entry.name)) found.push(relative);
  }
  return found;
}

type Use = { value: string; where: string };
const reasons: Use[] = [];
const subjects: Use[] = [];
const fields: Use[] = [];
const lintReasons: string[] = [];

const REASON_CALLS = new Set(["invalidInput", "conflict", "forbidden", "fail"]);
const REASON_CONSTRUCTORS = new Map([
  ["AppError", 1],
  ["TableFormatError", 0],
]);

function literal(node: ts.Node | undefined): string | undefined {
  return node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;
}

for (const file of [...sourceFiles("lib"), ...sourceFiles("app")]) {
  const text = fs.readFileSync(path.join(root, file), "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith("x") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const where = (node: ts.Node) => `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const isActionFile = /^app\/.*actions\.ts$/.test(file);
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
      const name = node.expression.text;
      const first = literal(node.arguments[0]);
      if (REASON_CALLS.has(name) && first) reasons.push({ value: first, where: where(node) });
      if (name === "notFound" && first && /^[a-z]/.test(first)) subjects.push({ value: first, where: where(node) });
    }
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && REASON_CONSTRUCTORS.has(node.expression.text)) {
      const reason = literal(node.arguments?.[REASON_CONSTRUCTORS.get(node.expression.text)!]);
      if (reason) reasons.push({ value: reason, where: where(node) });
    }
    // A template lint reason is named wherever its issue is made (a `reason:` property, a branch
    // of one, a helper's argument): every string literal shaped like a lint reason key counts.
    const lintReason = literal(node);
    if (lintReason && /^lint[A-Z]\w*$/.test(lintReason)) {
      reasons.push({ value: lintReason, where: where(node) });
      lintReasons.push(lintReason);
    }
    if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name)) {
      const value = literal(node.initializer);
      if (node.name.text === "field" && value) fields.push({ value, where: where(node) });
      if (node.name.text === "rule" && value) reasons.push({ value, where: where(node) });
    }
    // The fields of a server action's form: the keys of each z.object({...}) in app/**/actions.ts.
    if (isActionFile && ts.isCallExpression(node) && node.expression.getText(source).endsWith("z.object")) {
      const shape = node.arguments[0];
      if (shape && ts.isObjectLiteralExpression(shape)) {
        for (const property of shape.properties) {
          if (property.name && ts.isIdentifier(property.name)) fields.push({ value: property.name.text, where: where(property) });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

const known = (catalogue: typeof reasonsEn, reason: string) => Object.hasOwn(catalogue.rules, reason) || Object.hasOwn(catalogue.messages, reason);
const missing = (uses: Use[], has: (value: string) => boolean) => uses.filter((use) => !has(use.value)).map((use) => `${use.value} (${use.where})`);

function flatten(object: unknown, prefix = ""): [string, string][] {
  if (typeof object === "string") return [[prefix, object]];
  return Object.entries(object as Record<string, unknown>).flatMap(([key, value]) => flatten(value, prefix ? `${prefix}.${key}` : key));
}

describe("the reason catalogues", () => {
  it("found the places errors are made (the scan itself works)", () => {
    expect(reasons.length).toBeGreaterThan(150);
    expect(subjects.length).toBeGreaterThan(20);
    expect(fields.length).toBeGreaterThan(100);
    expect(new Set(lintReasons).size).toBeGreaterThan(30);
  });

  it("word every reason the sources raise, in English and Chinese", () => {
    expect(missing(reasons, (reason) => known(reasonsEn, reason))).toEqual([]);
    expect(missing(reasons, (reason) => known(reasonsZh, reason))).toEqual([]);
  });

  it("name every subject notFound is given", () => {
    expect(missing(subjects, (what) => Object.hasOwn(reasonsEn.terms.what, what) && Object.hasOwn(reasonsZh.terms.what, what))).toEqual([]);
  });

  it("label every field an error points at and every field of a server action's form", () => {
    const labelled = (field: string) => Object.hasOwn(reasonsEn.fields, field) && Object.hasOwn(reasonsZh.fields, field);
    expect([...new Set(missing(fields, labelled).map((entry) => entry.split(" ")[0]))]).toEqual([]);
  });

  it("have the same keys and the same placeholders in both languages, none empty", () => {
    const english = new Map(flatten(reasonsEn));
    const chinese = new Map(flatten(reasonsZh));
    expect([...chinese.keys()].sort()).toEqual([...english.keys()].sort());
    const placeholders = (words: string) => [...words.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
    for (const [key, words] of english) {
      expect(words.trim(), key).not.toBe("");
      expect(chinese.get(key)!.trim(), key).not.toBe("");
      expect(placeholders(chinese.get(key)!), key).toEqual(placeholders(words));
    }
  });

  it("say nothing in Latin letters in Chinese but technical names", () => {
    const latin = flatten(reasonsZh)
      .filter(([, words]) => latinLeftIn(words) !== "")
      .map(([key, words]) => `${key}: ${words}`);
    expect(latin).toEqual([]);
  });
});
