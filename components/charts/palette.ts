/** Colours a department keeps on every chart and page: picked from its name, not its position in a list. */
const DEPARTMENT_COLOURS = [
  "#4f46e5",
  "#0891b2",
  "#16a34a",
  "#d97706",
  "#db2777",
  "#7c3aed",
  "#0d9488",
  "#ea580c",
  "#2563eb",
  "#65a30d",
  "#c026d3",
  "#475569",
] as const;

export function departmentColour(name: string): string {
  let hash = 2166136261;
  for (let index = 0; index < name.length; index++) {
    hash ^= name.charCodeAt(index);
    hash = Math.imul(hash, 16777619);
  }
  return DEPARTMENT_COLOURS[(hash >>> 0) % DEPARTMENT_COLOURS.length]!;
}

export const FAILURE_CATEGORIES = ["user_unknown", "mailbox_full", "rejected", "other"] as const;
export type FailureCategory = (typeof FAILURE_CATEGORIES)[number];

export const CATEGORY_COLOURS: Record<FailureCategory, string> = {
  user_unknown: "#dc2626",
  mailbox_full: "#f59e0b",
  rejected: "#7c3aed",
  other: "#94a3b8",
};

export const ENGAGEMENT_COLOURS = { opened: "#4f46e5", clicked: "#16a34a" } as const;

/** "2026-08-05" → "08-05": the year is in the period heading already. */
export function shortDate(isoDate: string): string {
  return isoDate.length === 10 ? isoDate.slice(5) : isoDate;
}
