import { describe, expect, it } from "vitest";
import { addDays, formatInZone, isIsoDate, startOfZonedDay, zonedDate } from "@/lib/time/zone";

describe("time zones", () => {
  it("starts a Shanghai day at 16:00 UTC the day before", () => {
    expect(startOfZonedDay("2026-11-25", "Asia/Shanghai").toISOString()).toBe("2026-11-24T16:00:00.000Z");
  });

  it("follows daylight saving in New York", () => {
    expect(startOfZonedDay("2026-03-08", "America/New_York").toISOString()).toBe("2026-03-08T05:00:00.000Z");
    expect(startOfZonedDay("2026-03-09", "America/New_York").toISOString()).toBe("2026-03-09T04:00:00.000Z");
    expect(startOfZonedDay("2026-11-02", "America/New_York").toISOString()).toBe("2026-11-02T05:00:00.000Z");
  });

  it("names the day an instant falls on in the zone", () => {
    const instant = new Date("2026-11-24T16:30:00Z");
    expect(zonedDate(instant, "Asia/Shanghai")).toBe("2026-11-25");
    expect(zonedDate(instant, "UTC")).toBe("2026-11-24");
    expect(formatInZone(instant, "Asia/Shanghai")).toBe("2026-11-25 00:30:00");
  });

  it("validates and steps calendar dates", () => {
    expect(isIsoDate("2026-02-29")).toBe(false);
    expect(isIsoDate("2028-02-29")).toBe(true);
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(() => startOfZonedDay("25/11/2026", "UTC")).toThrow(/not a date/);
  });
});
