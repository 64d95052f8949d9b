import { csvLine } from "@/lib/csv/write";
import type { FailureRow, SendRow } from "./queries";

/** Column headings of the two report tables; the console may pass translated ones in the same order. */
export const SEND_CSV_HEADER = ["date", "department", "ip", "domain", "sent"] as const;
export const FAILURE_CSV_HEADER = ["date", "department", "domain", "failed", "user_unknown", "mailbox_full", "rejected", "other"] as const;

type Header<T extends readonly string[]> = { [K in keyof T]: string };

/** The send report as CSV lines (header first), for `csvResponse` from lib/csv/write. */
export async function* sendReportCsv(rows: readonly SendRow[], header: Header<typeof SEND_CSV_HEADER> = SEND_CSV_HEADER): AsyncGenerator<string> {
  yield csvLine([...header]);
  for (const row of rows) yield csvLine([row.date, row.department, row.ip, row.domain, row.sent]);
}

/** The failure report as CSV lines (header first), for `csvResponse` from lib/csv/write; the row summing the domains past the top ones is named `otherDomains`. */
export async function* failureReportCsv(
  rows: readonly FailureRow[],
  header: Header<typeof FAILURE_CSV_HEADER> = FAILURE_CSV_HEADER,
  otherDomains = "other domains",
): AsyncGenerator<string> {
  yield csvLine([...header]);
  for (const row of rows) yield csvLine([row.date, row.department, row.others ? otherDomains : row.domain, row.failed, row.user_unknown, row.mailbox_full, row.rejected, row.other]);
}
