/** The query string a report page is reached by: its period (with dates when custom) plus any of its own options. */
export type ReportQuery = { period: string; from?: string; to?: string } & Record<string, string | undefined>;

export function reportHref(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/** What a link must carry to show the same range again: named periods move with the clock, custom ones carry their dates. */
export function rangeQuery(range: { period: string; from: string; to: string }): ReportQuery {
  return range.period === "custom" ? { period: "custom", from: range.from, to: range.to } : { period: range.period };
}
