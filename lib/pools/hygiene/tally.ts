import type { StoredHygieneTally } from "@/db/schema";
import { HYGIENE_FLAGS, SKIPPABLE_FLAGS, type HygieneFlag, type SkippableFlag } from "./flags";

/** Examples kept per flag for the import's report: the earliest lines. */
export const HYGIENE_EXAMPLES = 5;

/** `line` is null for no_mx, which is found after the import, per domain. */
export type HygieneExample = { line: number | null; email: string; suggestion?: string };

export type MxProgress = { status: "off" | "pending" | "running" | "done" | "failed"; domains: number; noMail: number; unknown: number };

/**
 * What hygiene found in one import (stored on the import, shown with its progress): rows flagged
 * and imported, rows skipped by the importer's choice, and examples of each.
 */
export type HygieneTally = {
  flagged: Record<HygieneFlag, number>;
  skipped: Record<SkippableFlag, number>;
  examples: Record<HygieneFlag, HygieneExample[]>;
  mx: MxProgress;
};

export function emptyTally(): HygieneTally {
  return {
    flagged: Object.fromEntries(HYGIENE_FLAGS.map((flag) => [flag, 0])) as Record<HygieneFlag, number>,
    skipped: Object.fromEntries(SKIPPABLE_FLAGS.map((flag) => [flag, 0])) as Record<SkippableFlag, number>,
    examples: Object.fromEntries(HYGIENE_FLAGS.map((flag) => [flag, []])) as unknown as Record<HygieneFlag, HygieneExample[]>,
    mx: { status: "off", domains: 0, noMail: 0, unknown: 0 },
  };
}

/** Adds an example, keeping the HYGIENE_EXAMPLES earliest lines (batches may commit out of order). */
export function addExample(tally: HygieneTally, flag: HygieneFlag, example: HygieneExample) {
  const list = tally.examples[flag];
  if (list.length >= HYGIENE_EXAMPLES && (example.line ?? Infinity) >= (list[list.length - 1]!.line ?? Infinity)) return;
  list.push(example);
  list.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  if (list.length > HYGIENE_EXAMPLES) list.length = HYGIENE_EXAMPLES;
}

/** `into` += `from`, in place; a stored tally from before a flag existed reads as zero for it. */
export function mergeTally(into: HygieneTally, from: HygieneTally): HygieneTally {
  for (const flag of HYGIENE_FLAGS) {
    into.flagged[flag] = (into.flagged[flag] ?? 0) + (from.flagged[flag] ?? 0);
    into.examples[flag] ??= [];
    for (const example of from.examples[flag] ?? []) addExample(into, flag, example);
  }
  for (const flag of SKIPPABLE_FLAGS) into.skipped[flag] = (into.skipped[flag] ?? 0) + (from.skipped[flag] ?? 0);
  return into;
}

/** A tally as stored (possibly null or older), made whole. */
export function readTally(stored: StoredHygieneTally | null | undefined): HygieneTally {
  const tally = emptyTally();
  if (!stored) return tally;
  mergeTally(tally, stored as HygieneTally);
  if (stored.mx) tally.mx = { ...tally.mx, ...stored.mx };
  return tally;
}
