import { describeReason } from "@/lib/i18n/describe";
import { reasonsZh } from "@/lib/i18n/reasons-zh";
import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { daysOf, PERIODS, rangeInstants, resolvePeriod, type Period, type ReportRange } from "@/lib/reports/periods";

const SHANGHAI = "Asia/Shanghai";
const BERLIN = "Europe/Berlin";
const NEW_YORK = "America/New_York";

/** The days a period covers at a fixed instant, as "from..to". */
function days(period: Period, now: string, timeZone = SHANGHAI): string {
  const range = resolvePeriod({ period }, new Date(now), timeZone);
  return `${range.from}..${range.to}`;
}

function instants(range: Pick<ReportRange, "from" | "to">, timeZone: string) {
  const { start, end } = rangeInstants({ period: "custom", ...range }, timeZone);
  return { start: start.toISOString(), end: end.toISOString(), hours: (end.getTime() - start.getTime()) / 3_600_000 };
}

/** The field a refused input names, or a failure when it was accepted. */
function refusedField(input: { period?: string | null; from?: string | null; to?: string | null }): string {
  try {
    resolvePeriod(input, new Date("2026-11-25T04:00:00Z"), SHANGHAI);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(400);
    expect((error as AppError).code).toBe("invalid_input");
    const field = ((error as AppError).details as { field: string }).field;
    expect(describeReason(reasonsZh, (error as AppError).reason, (error as AppError).params)).toMatch(/[\u4e00-\u9fff]/);
    return field;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe("report periods in Asia/Shanghai (UTC+8, no daylight saving)", () => {
  const sundayLastSecond = "2026-11-29T15:59:59Z"; // Sunday 29 Nov, 23:59:59 in Shanghai
  const mondayMidnight = "2026-11-29T16:00:00Z"; // Monday 30 Nov, 00:00:00 in Shanghai

  it("today and yesterday turn over at Shanghai's midnight, not UTC's", () => {
    expect(days("today", sundayLastSecond)).toBe("2026-11-29..2026-11-29");
    expect(days("today", mondayMidnight)).toBe("2026-11-30..2026-11-30");
    expect(days("yesterday", sundayLastSecond)).toBe("2026-11-28..2026-11-28");
    expect(days("yesterday", mondayMidnight)).toBe("2026-11-29..2026-11-29");
    // 07:30 on Monday in Shanghai is still Sunday in UTC.
    expect(days("today", "2026-11-29T23:30:00Z")).toBe("2026-11-30..2026-11-30");
  });

  it("this week runs from Monday to today and starts again at Monday 00:00", () => {
    expect(days("this_week", sundayLastSecond)).toBe("2026-11-23..2026-11-29");
    expect(days("this_week", mondayMidnight)).toBe("2026-11-30..2026-11-30");
    expect(days("this_week", "2026-11-25T04:00:00Z")).toBe("2026-11-23..2026-11-25"); // a Wednesday
  });

  it("last week is the whole Monday-to-Sunday before this week", () => {
    expect(days("last_week", sundayLastSecond)).toBe("2026-11-16..2026-11-22");
    expect(days("last_week", mondayMidnight)).toBe("2026-11-23..2026-11-29");
  });

  it("this month runs from the 1st to today and starts again at the 1st, 00:00", () => {
    expect(days("this_month", "2026-11-30T15:59:59Z")).toBe("2026-11-01..2026-11-30"); // 30 Nov 23:59:59
    expect(days("this_month", "2026-11-30T16:00:00Z")).toBe("2026-12-01..2026-12-01"); // 1 Dec 00:00:00
    expect(days("this_month", "2026-11-25T04:00:00Z")).toBe("2026-11-01..2026-11-25");
  });

  it("knows February of a leap year has 29 days", () => {
    expect(days("this_month", "2028-02-29T15:59:59Z")).toBe("2028-02-01..2028-02-29");
    expect(days("today", "2028-02-29T15:59:59Z")).toBe("2028-02-29..2028-02-29");
    expect(days("this_month", "2028-02-29T16:00:00Z")).toBe("2028-03-01..2028-03-01");
    expect(days("yesterday", "2028-02-29T16:00:00Z")).toBe("2028-02-29..2028-02-29");
    expect(days("yesterday", "2026-02-28T16:00:00Z")).toBe("2026-02-28..2026-02-28"); // 1 Mar 2026: no 29 Feb
  });

  it("crosses from December into January", () => {
    expect(days("this_month", "2026-12-31T15:59:59Z")).toBe("2026-12-01..2026-12-31");
    expect(days("this_month", "2026-12-31T16:00:00Z")).toBe("2027-01-01..2027-01-01");
    expect(days("yesterday", "2026-12-31T16:00:00Z")).toBe("2026-12-31..2026-12-31");
    // Friday 1 January 2027: the week began in the old year.
    expect(days("this_week", "2026-12-31T16:00:00Z")).toBe("2026-12-28..2027-01-01");
    expect(days("last_week", "2026-12-31T16:00:00Z")).toBe("2026-12-21..2026-12-27");
  });

  it("yesterday on the 1st of a month is the last day of the month before", () => {
    expect(days("yesterday", "2026-10-31T16:00:00Z")).toBe("2026-10-31..2026-10-31"); // 1 Nov
    expect(days("yesterday", "2026-11-30T16:00:00Z")).toBe("2026-11-30..2026-11-30"); // 1 Dec
    expect(days("yesterday", "2026-04-30T16:00:00Z")).toBe("2026-04-30..2026-04-30"); // 1 May
  });

  it("a Shanghai day is 24 hours from 16:00 UTC the day before", () => {
    expect(instants({ from: "2026-11-30", to: "2026-11-30" }, SHANGHAI)).toEqual({ start: "2026-11-29T16:00:00.000Z", end: "2026-11-30T16:00:00.000Z", hours: 24 });
    const week = rangeInstants(resolvePeriod({ period: "last_week" }, new Date(mondayMidnight), SHANGHAI), SHANGHAI);
    expect(week.start.toISOString()).toBe("2026-11-22T16:00:00.000Z");
    expect(week.end.toISOString()).toBe(new Date(mondayMidnight).toISOString());
  });
});

describe("report periods in zones with daylight saving", () => {
  it("Berlin's week of the spring-forward Sunday ends at Monday 00:00 summer time", () => {
    // Sunday 29 March 2026: 02:00 CET became 03:00 CEST.
    expect(days("this_week", "2026-03-29T21:59:59Z", BERLIN)).toBe("2026-03-23..2026-03-29"); // Sunday 23:59:59 CEST
    expect(days("this_week", "2026-03-29T22:00:00Z", BERLIN)).toBe("2026-03-30..2026-03-30"); // Monday 00:00 CEST
    expect(days("last_week", "2026-03-29T22:00:00Z", BERLIN)).toBe("2026-03-23..2026-03-29");
    const week = instants({ from: "2026-03-23", to: "2026-03-29" }, BERLIN);
    expect(week).toEqual({ start: "2026-03-22T23:00:00.000Z", end: "2026-03-29T22:00:00.000Z", hours: 7 * 24 - 1 });
  });

  it("Berlin's spring-forward day has 23 hours and its fall-back day 25", () => {
    expect(instants({ from: "2026-03-29", to: "2026-03-29" }, BERLIN)).toEqual({ start: "2026-03-28T23:00:00.000Z", end: "2026-03-29T22:00:00.000Z", hours: 23 });
    expect(instants({ from: "2026-10-25", to: "2026-10-25" }, BERLIN)).toEqual({ start: "2026-10-24T22:00:00.000Z", end: "2026-10-25T23:00:00.000Z", hours: 25 });
    expect(instants({ from: "2026-03-30", to: "2026-03-30" }, BERLIN).hours).toBe(24);
  });

  it("Berlin's week of the fall-back Sunday has 169 hours", () => {
    expect(days("last_week", "2026-10-25T23:00:00Z", BERLIN)).toBe("2026-10-19..2026-10-25"); // Monday 26 Oct 00:00 CET
    expect(days("this_week", "2026-10-25T22:59:59Z", BERLIN)).toBe("2026-10-19..2026-10-25"); // Sunday 23:59:59 CET
    expect(instants({ from: "2026-10-19", to: "2026-10-25" }, BERLIN)).toEqual({ start: "2026-10-18T22:00:00.000Z", end: "2026-10-25T23:00:00.000Z", hours: 7 * 24 + 1 });
  });

  it("Berlin's March, which holds the spring-forward day, is one hour short", () => {
    expect(days("this_month", "2026-03-31T21:59:59Z", BERLIN)).toBe("2026-03-01..2026-03-31"); // 31 March 23:59:59 CEST
    expect(days("this_month", "2026-03-31T22:00:00Z", BERLIN)).toBe("2026-04-01..2026-04-01"); // 1 April 00:00 CEST
    expect(instants({ from: "2026-03-01", to: "2026-03-31" }, BERLIN)).toEqual({ start: "2026-02-28T23:00:00.000Z", end: "2026-03-31T22:00:00.000Z", hours: 31 * 24 - 1 });
  });

  it("New York's spring-forward day has 23 hours and its fall-back day 25", () => {
    expect(instants({ from: "2026-03-08", to: "2026-03-08" }, NEW_YORK)).toEqual({ start: "2026-03-08T05:00:00.000Z", end: "2026-03-09T04:00:00.000Z", hours: 23 });
    expect(instants({ from: "2026-11-01", to: "2026-11-01" }, NEW_YORK)).toEqual({ start: "2026-11-01T04:00:00.000Z", end: "2026-11-02T05:00:00.000Z", hours: 25 });
  });

  it("New York's days and weeks turn over at local midnight on both sides of a change", () => {
    // Monday 2 November 2026 begins at 05:00 UTC (EST); the Monday before began at 04:00 UTC (EDT).
    expect(days("today", "2026-11-02T04:59:59Z", NEW_YORK)).toBe("2026-11-01..2026-11-01");
    expect(days("this_week", "2026-11-02T04:59:59Z", NEW_YORK)).toBe("2026-10-26..2026-11-01");
    expect(days("this_week", "2026-11-02T05:00:00Z", NEW_YORK)).toBe("2026-11-02..2026-11-02");
    expect(days("today", "2026-10-27T03:59:59Z", NEW_YORK)).toBe("2026-10-26..2026-10-26");
    expect(days("today", "2026-10-27T04:00:00Z", NEW_YORK)).toBe("2026-10-27..2026-10-27");
    expect(instants({ from: "2026-10-26", to: "2026-11-01" }, NEW_YORK)).toEqual({ start: "2026-10-26T04:00:00.000Z", end: "2026-11-02T05:00:00.000Z", hours: 7 * 24 + 1 });
    // The spring-forward week: Monday 2 March to Sunday 8 March.
    expect(days("last_week", "2026-03-09T04:00:00Z", NEW_YORK)).toBe("2026-03-02..2026-03-08");
    expect(instants({ from: "2026-03-02", to: "2026-03-08" }, NEW_YORK).hours).toBe(7 * 24 - 1);
  });

  it("yesterday after the change is the short day itself", () => {
    const range = resolvePeriod({ period: "yesterday" }, new Date("2026-03-30T10:00:00Z"), BERLIN);
    expect(range).toEqual({ period: "yesterday", from: "2026-03-29", to: "2026-03-29" });
    expect(instants(range, BERLIN).hours).toBe(23);
  });
});

describe("choosing a period", () => {
  const now = new Date("2026-11-25T04:00:00Z");

  it("is this month when nothing is asked for", () => {
    expect(resolvePeriod({}, now, SHANGHAI)).toEqual({ period: "this_month", from: "2026-11-01", to: "2026-11-25" });
    expect(resolvePeriod({ period: "", from: "", to: "" }, now, SHANGHAI)).toEqual({ period: "this_month", from: "2026-11-01", to: "2026-11-25" });
    expect(resolvePeriod({ period: null, from: null, to: null }, now, SHANGHAI).period).toBe("this_month");
  });

  it("knows every documented period and refuses others, naming the field", () => {
    for (const period of PERIODS.filter((name) => name !== "custom")) expect(resolvePeriod({ period }, now, SHANGHAI).period).toBe(period);
    expect(refusedField({ period: "fortnight" })).toBe("period");
    expect(refusedField({ period: "THIS_MONTH" })).toBe("period");
  });

  it("takes a custom range of calendar days, first and last included", () => {
    expect(resolvePeriod({ period: "custom", from: "2026-10-01", to: "2026-10-31" }, now, SHANGHAI)).toEqual({ period: "custom", from: "2026-10-01", to: "2026-10-31" });
    expect(resolvePeriod({ period: "custom", from: "2026-10-05", to: "2026-10-05" }, now, SHANGHAI)).toEqual({ period: "custom", from: "2026-10-05", to: "2026-10-05" });
    // from and to without a period mean custom
    expect(resolvePeriod({ from: "2026-09-01", to: "2026-09-30" }, now, SHANGHAI)).toEqual({ period: "custom", from: "2026-09-01", to: "2026-09-30" });
    // a whole leap year is the longest range
    expect(resolvePeriod({ period: "custom", from: "2028-01-01", to: "2028-12-31" }, now, SHANGHAI).to).toBe("2028-12-31");
    expect(instants({ from: "2026-10-01", to: "2026-10-31" }, SHANGHAI)).toEqual({ start: "2026-09-30T16:00:00.000Z", end: "2026-10-31T16:00:00.000Z", hours: 31 * 24 });
  });

  it("refuses a custom range with a missing, malformed, reversed or too long day, naming the field", () => {
    expect(refusedField({ period: "custom" })).toBe("from");
    expect(refusedField({ period: "custom", to: "2026-10-31" })).toBe("from");
    expect(refusedField({ period: "custom", from: "2026-10-01" })).toBe("to");
    expect(refusedField({ period: "custom", from: "2026/10/01", to: "2026-10-31" })).toBe("from");
    expect(refusedField({ period: "custom", from: "2026-02-29", to: "2026-03-31" })).toBe("from"); // not a leap year
    expect(refusedField({ period: "custom", from: "2026-10-01", to: "2026-10-32" })).toBe("to");
    expect(refusedField({ period: "custom", from: "2026-10-01", to: "yesterday" })).toBe("to");
    expect(refusedField({ period: "custom", from: "2026-10-31", to: "2026-10-01" })).toBe("to");
    expect(refusedField({ period: "custom", from: "2026-01-01", to: "2027-01-02" })).toBe("to"); // 367 days
    expect(refusedField({ from: "2026-10-01" })).toBe("to");
  });
});

describe("the days of a range", () => {
  it("lists every day in order, across month ends and leap days", () => {
    expect(daysOf({ period: "custom", from: "2028-02-27", to: "2028-03-02" })).toEqual(["2028-02-27", "2028-02-28", "2028-02-29", "2028-03-01", "2028-03-02"]);
    expect(daysOf({ period: "custom", from: "2026-12-30", to: "2027-01-02" })).toEqual(["2026-12-30", "2026-12-31", "2027-01-01", "2027-01-02"]);
    expect(daysOf({ period: "today", from: "2026-11-25", to: "2026-11-25" })).toEqual(["2026-11-25"]);
  });

  it("has as many days as the period says, whatever the zone's daylight saving does", () => {
    expect(daysOf(resolvePeriod({ period: "last_week" }, new Date("2026-03-30T10:00:00Z"), BERLIN))).toHaveLength(7);
    expect(daysOf(resolvePeriod({ period: "custom", from: "2026-08-28", to: "2026-11-25" }, new Date(), SHANGHAI))).toHaveLength(90);
    expect(daysOf(resolvePeriod({ period: "this_month" }, new Date("2028-02-29T15:59:59Z"), SHANGHAI))).toHaveLength(29);
  });
});
