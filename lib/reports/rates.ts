/**
 * What the console's open and click rates are taken over. A provider that reports delivery (Resend)
 * leaves `delivered` counts, and the rates are of those; SMTP and the outbox never confirm delivery,
 * so `delivered` stays 0 and the rates are of what was sent and not bounced back. The counts
 * decide, not the configured transport: a period's messages went out through whatever was configured
 * then. The API's numbers (reportSummary's openRate and clickRate, over sent) stay as they are.
 */
export type RateBasis = "delivered" | "sent_minus_bounced";

export type EngagementCounts = { sent: number; delivered: number; bounced: number; opened: number; clicked: number };

export type EngagementRates = {
  basis: RateBasis;
  /** The count the rates are of: delivered, or sent minus bounced. */
  base: number;
  /** Opens and clicks by people over `base`; null when it is 0. */
  openRate: number | null;
  clickRate: number | null;
};

export function rateBasis(counts: Pick<EngagementCounts, "delivered">): RateBasis {
  return counts.delivered > 0 ? "delivered" : "sent_minus_bounced";
}

export function engagementRates(counts: EngagementCounts): EngagementRates {
  const basis = rateBasis(counts);
  const base = basis === "delivered" ? counts.delivered : Math.max(0, counts.sent - counts.bounced);
  const over = (value: number) => (base > 0 ? value / base : null);
  return { basis, base, openRate: over(counts.opened), clickRate: over(counts.clicked) };
}
