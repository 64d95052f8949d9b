import type { BounceCategory } from "@/db/schema";

export type StatusVerdict = { category: BounceCategory; decisive: boolean } | null;

/**
 * The category an RFC 3463 enhanced status code implies. Decisive codes name the mailbox itself
 * (x.1.1 does not exist, x.2.2 full), so they win over the words; the rest only break ties.
 */
export function categoryOfStatus(status: string | null | undefined): StatusVerdict {
  const parts = /^([245])\.(\d{1,3})\.(\d{1,3})$/.exec(status ?? "");
  if (!parts) return null;
  const subject = Number(parts[2]);
  const detail = Number(parts[3]);
  if (detail >= 900) return null;
  if (subject === 1 && [1, 2, 3, 6, 10].includes(detail)) return { category: "user_unknown", decisive: true };
  if (subject === 1 && [7, 8].includes(detail)) return { category: "rejected", decisive: true };
  if (subject === 2 && detail === 1) return { category: "user_unknown", decisive: true };
  if (subject === 2 && detail === 2) return { category: "mailbox_full", decisive: true };
  if ((subject === 2 && detail === 3) || (subject === 3 && detail === 4)) return { category: "rejected", decisive: true };
  if (subject === 4 && (detail === 4 || detail === 7 || detail === 1 || detail === 2)) return { category: "other", decisive: false };
  if (subject === 6 || subject === 7) return { category: "rejected", decisive: false };
  if (detail === 0) return null;
  return { category: "other", decisive: false };
}
