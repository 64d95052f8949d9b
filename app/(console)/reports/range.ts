import "server-only";
import { AppError } from "@/lib/errors";
import { resolvePeriod, type ReportRange } from "@/lib/reports/periods";

export type SearchParams = Record<string, string | string[] | undefined>;

export const REPORT_PAGE_SIZE = 50;

const first = (value: string | string[] | null | undefined) => (Array.isArray(value) ? value[0] : value) ?? null;

/**
 * The range a report page or CSV is asked for. A custom range that cannot be read falls back to
 * this month on a page (with the reason, so the person can correct it); a CSV refuses it instead.
 */
export function readRange(params: SearchParams, timeZone: string, now = new Date()): { range: ReportRange; error: string | null } {
  const input = { period: first(params.period), from: first(params.from), to: first(params.to) };
  try {
    return { range: resolvePeriod(input, now, timeZone), error: null };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { range: resolvePeriod({}, now, timeZone), error: error.message };
  }
}

export function readBy(value: string | string[] | null | undefined): "sender" | "recipient" {
  return first(value) === "recipient" ? "recipient" : "sender";
}

/** One page of an already-summed table, and where it sits in the whole. */
export function pageOf<T>(rows: readonly T[], page: number): { rows: T[]; page: number; hasMore: boolean; first: number; last: number; total: number } {
  const pages = Math.max(1, Math.ceil(rows.length / REPORT_PAGE_SIZE));
  const current = Math.min(page, pages);
  const start = (current - 1) * REPORT_PAGE_SIZE;
  const slice = rows.slice(start, start + REPORT_PAGE_SIZE);
  return { rows: slice, page: current, hasMore: current < pages, first: slice.length ? start + 1 : 0, last: start + slice.length, total: rows.length };
}
