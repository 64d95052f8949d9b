"use client";

import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { abSettingsLine, variantChanges, variantName, type AbTestDraft } from "./ab-test-form";

/** The confirmation step's A/B test: about how many get the test, what each variant changes, and how the winner is chosen. */
export function AbTestSummary({ test, recipients }: { test: AbTestDraft; recipients: number }) {
  const { t, locale } = useI18n();
  const words = t.tasks.abTest;
  const share = Number(test.sharePercent);
  // The share is a pseudo-random sample of the audience, so its size is near this, not exactly it.
  const tested = Math.round((recipients * share) / 100);
  return (
    <>
      <p data-testid="confirm-ab-share">{format(words.confirmTest, { count: tested.toLocaleString(locale), share, variants: test.variants.length })}</p>
      <ul className="text-xs text-slate-600">
        {test.variants.map((variant, index) => (
          <li key={index} data-testid={`confirm-ab-variant-${variantName(index)}`}>
            {format(words.variantLine, { variant: variantName(index), changes: variantChanges(words, variant) })}
          </li>
        ))}
      </ul>
      <p className="text-xs text-slate-600" data-testid="confirm-ab-settings">
        {abSettingsLine(words, test)}
      </p>
    </>
  );
}
