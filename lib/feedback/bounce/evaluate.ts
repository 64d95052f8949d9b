import fs from "node:fs";
import path from "node:path";
import type { BounceCategory } from "@/db/schema";
import { analyzeMessage, type BounceAnalysis } from "./analyze";

/**
 * Measures the classifier against a labelled bounce corpus (shared/fixtures/bounces: labels.csv,
 * ambiguous.csv, eml/), in full and by leave-one-MTA-family-out cross-validation. A family is a file
 * name without its trailing "-NN.eml" (lhost-postfix, rhost-google, rfc3464 …).
 *
 * `fit(training)` is the step that would learn from the other families. Nothing is learned today: the
 * vocabulary is written from Sisimai's reason and MTA modules, not from these files (decision 0069), so
 * `fit` returns the fixed classifier and each fold scores that fixed classifier on a family it was, by
 * construction, not fitted on. The harness keeps the step so that anything fitted later is fitted per fold.
 */

export const CATEGORIES: readonly BounceCategory[] = ["user_unknown", "mailbox_full", "rejected", "other"];

export type LabelledRow = { file: string; family: string; reason: string; status: string; expected: BounceCategory; alternatives: ReadonlySet<string>; raw: Buffer };

export type Classifier = { fitted: boolean; classify(raw: Buffer): Promise<BounceAnalysis> };

export type Score = { agreed: number; total: number; share: number };

export type Evaluation = {
  fitted: boolean;
  /** Cross-validated: each row scored by the classifier fitted without its family. */
  overall: Score;
  perCategory: Record<BounceCategory, Score>;
  perFamily: Record<string, Score>;
  /** Every row scored by the classifier fitted on every row. */
  fullCorpus: { overall: Score; perCategory: Record<BounceCategory, Score> };
  misses: { file: string; expected: BounceCategory; got: BounceCategory | null; reason: string }[];
};

/** "lhost-postfix-07.eml" → "lhost-postfix". */
export const familyOf = (file: string) => file.replace(/-\d+\.eml$/, "");

/** The classifier to score on rows outside `training`. Nothing is fitted (see above). */
export function fit(training: readonly LabelledRow[]): Classifier {
  void training;
  return { fitted: false, classify: (raw) => analyzeMessage(raw) };
}

export function readCorpus(directory: string): LabelledRow[] {
  const rows = (name: string) =>
    fs.readFileSync(path.join(directory, name), "utf8").trim().split(/\r?\n/).slice(1).map((line) => line.split(","));
  const alternatives = new Map<string, Set<string>>();
  for (const [file, , , , alt] of rows("ambiguous.csv")) {
    if (file && alt) alternatives.set(file, (alternatives.get(file) ?? new Set()).add(alt));
  }
  return rows("labels.csv").map(([file, reason, status, expected]) => ({
    file: file!,
    family: familyOf(file!),
    reason: reason!,
    status: status!,
    expected: expected as BounceCategory,
    alternatives: alternatives.get(file!) ?? new Set(),
    raw: fs.readFileSync(path.join(directory, "eml", file!)),
  }));
}

export const agrees = (row: Pick<LabelledRow, "expected" | "alternatives">, category: BounceCategory | null) =>
  category === row.expected || (category !== null && row.alternatives.has(category));

function score(agreed: number, total: number): Score {
  return { agreed, total, share: total === 0 ? 1 : Number((agreed / total).toFixed(4)) };
}

function tally(results: { row: LabelledRow; category: BounceCategory | null }[]) {
  const hit = (list: typeof results) => list.filter(({ row, category }) => agrees(row, category)).length;
  const perCategory = Object.fromEntries(
    CATEGORIES.map((category) => {
      const of = results.filter(({ row }) => row.expected === category);
      return [category, score(hit(of), of.length)];
    }),
  ) as Record<BounceCategory, Score>;
  return { overall: score(hit(results), results.length), perCategory };
}

export async function evaluate(rows: readonly LabelledRow[]): Promise<Evaluation> {
  const families = [...new Set(rows.map((row) => row.family))].sort();
  const crossValidated: { row: LabelledRow; category: BounceCategory | null }[] = [];
  const perFamily: Record<string, Score> = {};
  let fitted = false;
  for (const family of families) {
    const classifier = fit(rows.filter((row) => row.family !== family));
    fitted ||= classifier.fitted;
    const heldOut = rows.filter((row) => row.family === family);
    const results = await Promise.all(heldOut.map(async (row) => ({ row, category: (await classifier.classify(row.raw)).category })));
    crossValidated.push(...results);
    perFamily[family] = score(results.filter(({ row, category }) => agrees(row, category)).length, results.length);
  }
  const everything = fit(rows);
  const full = await Promise.all(rows.map(async (row) => ({ row, category: (await everything.classify(row.raw)).category })));
  const cv = tally(crossValidated);
  return {
    fitted,
    overall: cv.overall,
    perCategory: cv.perCategory,
    perFamily,
    fullCorpus: tally(full),
    misses: crossValidated
      .filter(({ row, category }) => !agrees(row, category))
      .map(({ row, category }) => ({ file: row.file, expected: row.expected, got: category, reason: row.reason })),
  };
}

const percent = (value: Score) => `${(value.share * 100).toFixed(1).padStart(5)}% (${value.agreed}/${value.total})`;

/** A compact text table of an evaluation, for the test's and the bench's output. */
export function formatEvaluation(result: Evaluation): string {
  const lines = [
    result.fitted
      ? "leave-one-family-out CV: the classifier is fitted on the other families in each fold"
      : "leave-one-family-out CV: nothing is fitted from data; each fold scores the fixed classifier on a family it was not built from",
    `                 CV                 full corpus`,
    `overall       ${percent(result.overall)}   ${percent(result.fullCorpus.overall)}`,
    ...CATEGORIES.map((category) => `${category.padEnd(13)} ${percent(result.perCategory[category])}   ${percent(result.fullCorpus.perCategory[category])}`),
    "per family (below 100%):",
    ...Object.entries(result.perFamily)
      .filter(([, value]) => value.agreed < value.total)
      .map(([family, value]) => `  ${family.padEnd(24)} ${percent(value)}`),
  ];
  return lines.join("\n");
}
