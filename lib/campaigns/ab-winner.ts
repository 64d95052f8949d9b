import { errorFunction } from "simple-statistics";

/*
 * The A/B test's winner (issue 18): after the wait, which variant of the test share goes to the rest.
 *
 * The rule, stated so a department can read it on the report: the leader is the variant with the
 * highest rate of the metric (unique human opens or clicks over messages sent; a tie goes to the
 * earlier variant). It wins only if, against every other variant, a two-sided two-proportion z-test
 * says its rate is higher at the 5% level, Bonferroni-corrected for the comparisons (0.05 / (k − 1)
 * each), and each variant was sent to at least MIN_SENT people. Otherwise there is no clear winner
 * and variant A goes to the rest. With equal variants this declares a winner by chance about 5% of
 * the time whatever the number of variants.
 */

/** A, B, C, D: how variants are named to people and in the API. */
export const variantLetter = (index: number) => String.fromCharCode(65 + index);

export const AB_ALPHA = 0.05;
/** Below this many sent per variant a difference in rates says too little to act on. */
export const MIN_SENT = 30;

export type VariantTally = { sent: number; engaged: number };
export type Comparison = { against: number; z: number; p: number };
export type AbDecision = {
  /** The variant sent to the rest: the leader when clear, else 0 (A). */
  winner: number;
  clear: boolean;
  reason: "significant" | "noClearWinner" | "tooFewSent";
  leader: number;
  rates: number[];
  /** The leader against each other variant, with the threshold each p had to be under. */
  comparisons: Comparison[];
  threshold: number;
};

/** Φ(z), the standard normal distribution function. */
function normalCdf(z: number): number {
  return 0.5 * (1 + errorFunction(z / Math.SQRT2));
}

/** Two-sided p of a pooled two-proportion z-test of a against b. */
export function twoProportionTest(a: VariantTally, b: VariantTally): { z: number; p: number } {
  const pooled = (a.engaged + b.engaged) / (a.sent + b.sent);
  const spread = Math.sqrt(pooled * (1 - pooled) * (1 / a.sent + 1 / b.sent));
  // Both rates 0 or both 1: no evidence either way.
  if (spread === 0) return { z: 0, p: 1 };
  const z = (a.engaged / a.sent - b.engaged / b.sent) / spread;
  return { z, p: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))) };
}

export function decideWinner(variants: readonly VariantTally[], alpha = AB_ALPHA): AbDecision {
  if (variants.length < 2) throw new Error("an A/B test has at least two variants");
  for (const variant of variants) {
    if (!Number.isInteger(variant.sent) || !Number.isInteger(variant.engaged) || variant.engaged < 0 || variant.engaged > variant.sent) {
      throw new Error(`a variant's tally is not counts: ${JSON.stringify(variant)}`);
    }
  }
  const rates = variants.map((variant) => (variant.sent === 0 ? 0 : variant.engaged / variant.sent));
  const leader = rates.reduce((best, rate, index) => (rate > rates[best]! ? index : best), 0);
  const threshold = alpha / (variants.length - 1);
  const undecided = (reason: AbDecision["reason"], comparisons: Comparison[] = []): AbDecision => ({ winner: 0, clear: false, reason, leader, rates, comparisons, threshold });
  if (variants.some((variant) => variant.sent < MIN_SENT)) return undecided("tooFewSent");
  const comparisons = variants.flatMap((variant, index) => (index === leader ? [] : [{ against: index, ...twoProportionTest(variants[leader]!, variant) }]));
  const clear = comparisons.every((comparison) => comparison.z > 0 && comparison.p < threshold);
  return clear ? { winner: leader, clear, reason: "significant", leader, rates, comparisons, threshold } : undecided("noClearWinner", comparisons);
}
