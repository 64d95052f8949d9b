import { invalidInput } from "@/lib/errors";
import { addDays, isIsoDate, startOfZonedDay, zonedDate } from "@/lib/time/zone";

export const PERIODS = ["today", "yesterday", "this_week", "last_week", "this_month", "custom"] as const;
export type Period = (typeof PERIODS)[number];

/** Inclusive calendar days (YYYY-MM-DD) in the company's zone. */
export type ReportRange = { period: Period; from: string; to: string };

export const DEFAULT_PERIOD: Period = "this_month";
/** The longest custom range, in days (a leap year). */
export const MAX_CUSTOM_DAYS = 366;

/** 0 = Monday … 6 = Sunday: weeks start on Monday (invariant 8). */
function weekdayFromMonday(isoDate: string): number {
  const [year, month, day] = isoDate.split("-").map(Number) as [number, number, number];
  return (new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7;
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/**
 * The calendar days a report covers. Periods that are still running (this week, this month) end
 * today: the days after it have nothing to show yet. Without a period, `from`/`to` mean custom;
 * with none of them, this month.
 */
export function resolvePeriod(input: { period?: string | null; from?: string | null; to?: string | null }, now: Date, timeZone: string): ReportRange {
  const from = input.from?.trim() || null;
  const to = input.to?.trim() || null;
  const requested = input.period?.trim() || (from || to ? "custom" : DEFAULT_PERIOD);
  if (!(PERIODS as readonly string[]).includes(requested)) {
    throw invalidInput("unknownPeriod", { field: "period", params: { period: requested, periods: PERIODS.join(", ") } });
  }
  const period = requested as Period;
  const today = zonedDate(now, timeZone);
  switch (period) {
    case "today":
      return { period, from: today, to: today };
    case "yesterday": {
      const day = addDays(today, -1);
      return { period, from: day, to: day };
    }
    case "this_week":
      return { period, from: addDays(today, -weekdayFromMonday(today)), to: today };
    case "last_week": {
      const monday = addDays(today, -weekdayFromMonday(today) - 7);
      return { period, from: monday, to: addDays(monday, 6) };
    }
    case "this_month":
      return { period, from: `${today.slice(0, 8)}01`, to: today };
    case "custom":
      return customRange(from, to);
  }
}

/** The range a request's `?period=&from=&to=` asks for (the stats API and the CSV exports), as resolvePeriod reads it. */
export function rangeOfQuery(params: URLSearchParams, now: Date, timeZone: string): ReportRange {
  return resolvePeriod({ period: params.get("period"), from: params.get("from"), to: params.get("to") }, now, timeZone);
}

function customRange(from: string | null, to: string | null): ReportRange {
  if (!from) throw invalidInput("periodNeedsFrom", { field: "from" });
  if (!isIsoDate(from)) throw invalidInput("notDate", { field: "from" });
  if (!to) throw invalidInput("periodNeedsTo", { field: "to" });
  if (!isIsoDate(to)) throw invalidInput("notDate", { field: "to" });
  if (to < from) throw invalidInput("periodBackwards", { field: "to", params: { from, to } });
  const days = daysBetween(from, to) + 1;
  if (days > MAX_CUSTOM_DAYS) throw invalidInput("periodTooLong", { field: "to", params: { max: MAX_CUSTOM_DAYS, days } });
  return { period: "custom", from, to };
}

/** The instants the range covers: [start of `from`, start of the day after `to`) in the zone, daylight saving included. */
export function rangeInstants(range: ReportRange, timeZone: string): { start: Date; end: Date } {
  return { start: startOfZonedDay(range.from, timeZone), end: startOfZonedDay(addDays(range.to, 1), timeZone) };
}

/** Every day of the range in order, so charts show empty days too. */
export function daysOf(range: ReportRange): string[] {
  const days: string[] = [];
  for (let day = range.from; day <= range.to; day = addDays(day, 1)) days.push(day);
  return days;
}
