/**
 * Bounce classifier benchmark: agreement with the labelled corpus in shared/fixtures/bounces (beside the
 * project), in full and by leave-one-MTA-family-out cross-validation (lib/feedback/bounce/evaluate.ts).
 * Nothing is fitted from the corpus (decision 0069), so each fold scores the fixed classifier on a
 * family it was not built from; the output says so in `fitted`. Targets: CV ≥ 95% overall and ≥ 93% in
 * every category, full corpus ≥ 96%.
 */
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { evaluate, formatEvaluation, readCorpus } from "@/lib/feedback/bounce/evaluate";

export const TARGETS = { crossValidated: 0.95, perCategory: 0.93, fullCorpus: 0.96 };

const CORPUS = path.resolve(import.meta.dirname, "../../shared/fixtures/bounces");

export async function runBouncesBenchmark(): Promise<object> {
  if (!fs.existsSync(path.join(CORPUS, "labels.csv"))) throw new Error(`the labelled bounce corpus is missing: expected ${CORPUS}/labels.csv`);
  const rows = readCorpus(CORPUS);
  const started = performance.now();
  const result = await evaluate(rows);
  const seconds = (performance.now() - started) / 1000;
  console.error(`[bench bounces]\n${formatEvaluation(result)}`);
  const met =
    result.overall.share >= TARGETS.crossValidated &&
    Object.values(result.perCategory).every((score) => score.share >= TARGETS.perCategory) &&
    result.fullCorpus.overall.share >= TARGETS.fullCorpus;
  return {
    messages: rows.length,
    families: Object.keys(result.perFamily).length,
    fitted: result.fitted,
    method: result.fitted
      ? "leave-one-MTA-family-out: fitted on the other families in each fold"
      : "leave-one-MTA-family-out: nothing is fitted from data; each fold scores the fixed classifier on a family it was not built from",
    overall: result.overall,
    perCategory: result.perCategory,
    perFamily: result.perFamily,
    fullCorpus: result.fullCorpus,
    misses: result.misses,
    seconds: Number(seconds.toFixed(2)),
    targets: TARGETS,
    met,
  };
}
