import "server-only";
import { erasedKey, isErased } from "@/lib/addresses/erased";
import { sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import type { BounceCategory, ContactStatus, SuppressionReason } from "@/db/schema";
import { toArray } from "@/db/sql";

/**
 * ARCHITECTURE.md "Bounce categories": an unknown user is suppressed at once; a full mailbox
 * after its third final failure in a row; a rejection blames the sender, not the address. Used
 * for replies at send time and for bounces that come back later alike.
 */
export async function suppressHardFailures(tx: Executor, departmentId: string, rows: { category: BounceCategory | null; email: string }[], note: string) {
  const unknown = rows.filter((row) => row.category === "user_unknown").map((row) => row.email);
  const full = rows.filter((row) => row.category === "mailbox_full").map((row) => row.email);
  let repeatedFull: string[] = [];
  if (full.length > 0) {
    const streaks = await queryRows<{ email: string }>(
      tx,
      sql`select email from (
            select email, category, row_number() over (partition by email order by coalesce(bounced_at, sent_at) desc, id desc) as n
            from deliveries where department_id = ${departmentId} and email = any(${toArray(full)}::text[]) and status in ('sent', 'delivered', 'failed')
          ) recent where n <= 3 group by email having count(*) filter (where category = 'mailbox_full') = 3`,
    );
    repeatedFull = streaks.map((row) => row.email);
  }
  await suppressAddresses(tx, departmentId, [...new Set([...unknown, ...repeatedFull])], "hard_bounce", note, "send engine");
}

const CONTACT_STATUS_OF: Record<SuppressionReason, ContactStatus> = { hard_bounce: "bounced", complaint: "complained", unsubscribed: "unsubscribed", manual: "active", erased: "active" };

/**
 * Adds addresses to a department's suppression list (first reason wins) and marks their contacts:
 * a bounce or complaint marks active contacts only, an unsubscribe (the person asked) whatever
 * their status. Answers how many list entries and contacts it changed.
 */
export async function suppressAddresses(
  tx: Executor,
  departmentId: string,
  emails: string[],
  reason: SuppressionReason,
  note: string,
  createdBy: string,
): Promise<{ added: number; marked: number }> {
  if (emails.length === 0) return { added: 0, marked: 0 };
  // A delivery's erased placeholder is suppressed by its key already (lib/addresses/erased.ts); it is never written as an entry of its own.
  const sorted = [...new Set(emails.map((email) => (isErased(email) ? erasedKey(email) : email)))].sort();
  const added = await queryRows(
    tx,
    sql`insert into suppressions (department_id, email, reason, note, created_by)
        select ${departmentId}, email, ${reason}, ${note}, ${createdBy} from unnest(${toArray(sorted)}::text[]) as email
        on conflict (department_id, email) do nothing returning email`,
  );
  const status = CONTACT_STATUS_OF[reason];
  if (status === "active") return { added: added.length, marked: 0 };
  const markable = reason === "unsubscribed" ? sql`status <> ${status}` : sql`status = 'active'`;
  const marked = await queryRows(
    tx,
    sql`update contacts set status = ${status}, updated_at = now()
        where department_id = ${departmentId} and email = any(${toArray(sorted)}::text[]) and ${markable} returning id`,
  );
  return { added: added.length, marked: marked.length };
}
