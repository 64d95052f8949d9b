import { describe, expect, it } from "vitest";
import { decideWinner, MIN_SENT, twoProportionTest, type VariantTally } from "@/lib/campaigns/ab-winner";
import { seeded } from "../helpers/seeded";

/*
 * Issue 18, Done-means 1 (the decision): 10,000 recipients, a 20% test share split evenly and at
 * random, a fake engagement generator. Where B truly opens 30% more the rule picks B; with equal
 * variants it declares no clear winner in at least 90% of 50 seeded runs.
 */

/** The test share of `recipients` dealt evenly to the variants in a shuffled order; each opens with its variant's true rate. */
function simulate(seed: number, openRates: number[], recipients = 10_000, share = 0.2): VariantTally[] {
  const random = seeded(seed);
  const ids = Array.from({ length: recipients }, (_, index) => index);
  for (let index = ids.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [ids[index], ids[other]] = [ids[other]!, ids[index]!];
  }
  const tallies = openRates.map(() => ({ sent: 0, engaged: 0 }));
  ids.slice(0, Math.round(recipients * share)).forEach((_, position) => {
    const variant = position % openRates.length;
    tallies[variant]!.sent++;
    if (random() < openRates[variant]!) tallies[variant]!.engaged++;
  });
  return tallies;
}

const SEEDS = Array.from({ length: 50 }, (_, index) => index + 1);
const undecidedShare = (rates: number[]) => SEEDS.filter((seed) => !decideWinner(simulate(seed, rates)).clear).length / SEEDS.length;

describe("the A/B winner", () => {
  it("splits the test share evenly: 1,000 each of two variants, 500 each of four", () => {
    expect(simulate(1, [0.2, 0.2]).map((tally) => tally.sent)).toEqual([1000, 1000]);
    expect(simulate(1, [0.2, 0.2, 0.2, 0.2]).map((tally) => tally.sent)).toEqual([500, 500, 500, 500]);
  });

  it("picks B when B truly opens 30% more (20% against 26%), with its reason", () => {
    const decision = decideWinner(simulate(42, [0.2, 0.26]));
    expect(decision).toMatchObject({ winner: 1, clear: true, reason: "significant", leader: 1, threshold: 0.05 });
    expect(decision.comparisons[0]!.p).toBeLessThan(0.05);
    // Across 50 seeds it finds B most of the time (the test's power at 1,000 a variant is about 0.9) and never picks A.
    const picks = SEEDS.map((seed) => decideWinner(simulate(seed, [0.2, 0.26])).winner);
    expect(picks.filter((winner) => winner === 1).length).toBeGreaterThanOrEqual(40);
  });

  it("declares no clear winner in at least 90% of 50 seeded runs when the variants are equal, and sends A", () => {
    expect(undecidedShare([0.2, 0.2])).toBeGreaterThanOrEqual(0.9);
    expect(undecidedShare([0.2, 0.2, 0.2])).toBeGreaterThanOrEqual(0.9);
    expect(undecidedShare([0.05, 0.05, 0.05, 0.05])).toBeGreaterThanOrEqual(0.9);
    const equal = decideWinner([
      { sent: 1000, engaged: 200 },
      { sent: 1000, engaged: 205 },
    ]);
    expect(equal).toMatchObject({ winner: 0, clear: false, reason: "noClearWinner", leader: 1 });
  });

  it("wants the leader ahead of every other variant, Bonferroni-corrected", () => {
    // C leads A clearly but not B: no clear winner among three.
    const decision = decideWinner([
      { sent: 1000, engaged: 200 },
      { sent: 1000, engaged: 250 },
      { sent: 1000, engaged: 262 },
    ]);
    expect(decision).toMatchObject({ clear: false, winner: 0, leader: 2, threshold: 0.025 });
    expect(decision.comparisons.find((comparison) => comparison.against === 0)!.p).toBeLessThan(0.025);
    expect(decision.comparisons.find((comparison) => comparison.against === 1)!.p).toBeGreaterThan(0.025);
  });

  it("says too few were sent below the minimum, and takes no rate of 0 or 1 for evidence", () => {
    expect(decideWinner([{ sent: MIN_SENT - 1, engaged: 0 }, { sent: 500, engaged: 400 }])).toMatchObject({ clear: false, winner: 0, reason: "tooFewSent" });
    expect(twoProportionTest({ sent: 100, engaged: 0 }, { sent: 100, engaged: 0 })).toEqual({ z: 0, p: 1 });
    expect(decideWinner([{ sent: 100, engaged: 100 }, { sent: 100, engaged: 100 }])).toMatchObject({ clear: false, reason: "noClearWinner" });
    expect(() => decideWinner([{ sent: 10, engaged: 11 }, { sent: 10, engaged: 1 }])).toThrow(/not counts/);
  });

  it("matches a z-test worked by hand", () => {
    // 200/1000 against 260/1000: pooled 0.23, spread √(0.23·0.77·0.002) = 0.018820, z = −0.06 / 0.018820 = −3.188, p = 0.00143.
    const { z, p } = twoProportionTest({ sent: 1000, engaged: 200 }, { sent: 1000, engaged: 260 });
    expect(z).toBeCloseTo(-3.188, 3);
    expect(p).toBeCloseTo(0.00143, 4);
  });
});
