import type { AbDecisionRecord, AbMetric } from "@/db/schema";
import { format, type Messages } from "@/lib/i18n";
import { variantName } from "../ab-test-form";

type Verdict = AbDecisionRecord["rule"];
type Words = Messages["tasks"]["abTest"];

/** Numbers as a verdict quotes them: rates as percents to a tenth, z to hundredths, p to as many places as it needs. */
export function verdictNumbers(locale: string) {
  const decimals = (value: number, digits: number) => value.toLocaleString(locale, { maximumFractionDigits: digits });
  const percent = new Intl.NumberFormat(locale, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });
  return {
    rate: (rate: number) => percent.format(rate),
    z: (z: number) => decimals(z, 2),
    p: (p: number) => (p < 0.0001 ? `< ${decimals(0.0001, 4)}` : decimals(p, p < 0.01 ? 4 : 2)),
    threshold: (threshold: number) => decimals(threshold, 4),
  };
}

/** The rule's verdict for people: who leads and by how much, how sure the test is, and which variant that sends to the rest. */
export function verdictSentence(words: Words, verdict: Verdict, metric: AbMetric, minSent: number, locale: string): string {
  const numbers = verdictNumbers(locale);
  const leader = variantName(verdict.leader);
  const rateOf = (variant: number) => numbers.rate(verdict.rates[variant] ?? 0);
  const threshold = numbers.threshold(verdict.threshold);
  if (verdict.reason === "tooFewSent") return format(words.verdicts.tooFewSent, { min: minSent });
  if (verdict.reason === "significant") {
    const comparisons = verdict.comparisons
      .map((comparison) => format(words.comparison, { variant: variantName(comparison.against), rate: rateOf(comparison.against), z: numbers.z(comparison.z), p: numbers.p(comparison.p) }))
      .join(words.comparisonJoiner);
    return format(words.verdicts.significant, { leader, rateName: words.rateNames[metric], rate: rateOf(verdict.leader), comparisons, threshold });
  }
  // No clear winner: quote the comparison that fell furthest short.
  const weakest = verdict.comparisons.reduce<Verdict["comparisons"][number] | null>((worst, comparison) => (worst === null || comparison.p > worst.p ? comparison : worst), null);
  return format(words.verdicts.noClearWinner, { leader, rate: rateOf(verdict.leader), variant: variantName(weakest?.against ?? 0), p: numbers.p(weakest?.p ?? 1), threshold });
}
