import { describe, expect, it } from "vitest";
import { engagementRates } from "@/lib/reports/rates";

describe("engagement rates", () => {
  it("takes the rates over delivered messages where the provider confirms delivery", () => {
    expect(engagementRates({ sent: 250, delivered: 200, bounced: 10, opened: 50, clicked: 20 })).toEqual({ basis: "delivered", base: 200, openRate: 0.25, clickRate: 0.1 });
  });

  it("takes them over sent minus bounced where delivery is never confirmed (SMTP, outbox)", () => {
    expect(engagementRates({ sent: 250, delivered: 0, bounced: 50, opened: 50, clicked: 20 })).toEqual({ basis: "sent_minus_bounced", base: 200, openRate: 0.25, clickRate: 0.1 });
  });

  it("has no rate when nothing was reached", () => {
    expect(engagementRates({ sent: 0, delivered: 0, bounced: 0, opened: 3, clicked: 0 })).toEqual({ basis: "sent_minus_bounced", base: 0, openRate: null, clickRate: null });
    expect(engagementRates({ sent: 4, delivered: 0, bounced: 4, opened: 0, clicked: 0 }).openRate).toBeNull();
  });
});
