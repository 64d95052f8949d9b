import "server-only";
import { sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import { systemActor } from "@/lib/access/actor";
import { recordAudit } from "@/lib/audit/record";
import { lockDelivery, recordEvent } from "@/lib/deliveries/record";
import { addToRollup } from "@/lib/deliveries/rollups";
import { suppressAddresses } from "./suppress";
import { SYSTEM_SUPPRESSION_NOTES, type SystemSuppressionNote } from "@/lib/i18n/system-notes";

/**
 * A recipient leaving a department's mail from a message: the page behind `{{ unsubscribe_url }}`,
 * the RFC 8058 one-click POST that mail providers send, or a mail to the message's
 * `unsubscribe+<token>@…` address. The address is suppressed for the whole department (it is the
 * department that sent, whichever pool the person came from) and the contact marked.
 */
export type UnsubscribeMethod = "page" | "one-click" | "mailto";

export type UnsubscribeResult = { email: string; department: string; already: boolean };

/**
 * Unsubscribes the recipient of a delivery, in one transaction: suppression (reason
 * "unsubscribed"), contact status, `deliveries.unsubscribed_at`, and the first time only
 * `tasks.unsubscribed` and the day's `unsubscribed`, the trail and the operation log. A repeat
 * that finds all of it in place changes nothing (`already: true`). Null: no such delivery.
 */
export async function unsubscribeDelivery(
  db: Executor,
  deliveryId: number,
  how: { method: UnsubscribeMethod; ip?: string; userAgent?: string },
): Promise<UnsubscribeResult | null> {
  return db.transaction(async (tx) => {
    const delivery = await lockDelivery(tx, deliveryId);
    if (!delivery) return null;
    const [department] = await queryRows<{ name: string }>(tx, sql`select name from departments where id = ${delivery.departmentId}`);
    const result = { email: delivery.email, department: department?.name ?? "" };
    const first = delivery.unsubscribedAt === null;
    const now = new Date();
    // Locks in the order the send engine takes them (delivery, task, rollup, suppression, contact), so the two never deadlock.
    if (first) {
      await tx.execute(sql`update deliveries set unsubscribed_at = ${now.toISOString()}::timestamptz where id = ${delivery.id}`);
      await tx.execute(sql`update tasks set unsubscribed = unsubscribed + 1 where id = ${delivery.taskId}`);
      await addToRollup(tx, delivery, { unsubscribed: 1 }, now);
    }
    // Done each time, not only the first: an address taken off the list by hand is put back when its person asks again.
    const changed = await suppressAddresses(tx, delivery.departmentId, [delivery.email], "unsubscribed", noteOf(how.method), "recipient");
    if (!first && changed.added === 0 && changed.marked === 0) return { ...result, already: true };

    const ip = (how.ip ?? "").slice(0, 64);
    await recordEvent(tx, delivery, {
      type: "unsubscribed",
      source: how.method === "mailto" ? "inbound" : "recipient",
      detail: { method: how.method, ip, ...(how.userAgent ? { userAgent: how.userAgent.slice(0, 512) } : {}) },
      occurredAt: now,
    });
    await recordAudit(tx, { ...systemActor("recipient"), ip }, {
      action: "suppression.unsubscribe",
      objectType: "suppression",
      objectId: delivery.email,
      departmentId: delivery.departmentId,
      summary: { key: "suppression.unsubscribe", params: { email: delivery.email, method: how.method } },
      details: { deliveryId: delivery.id, taskId: delivery.taskId, method: how.method },
    });
    return { ...result, already: !first };
  });
}

const NOTE_OF: Record<UnsubscribeMethod, SystemSuppressionNote> = { page: "unsubscribedOnPage", "one-click": "unsubscribedOneClick", mailto: "unsubscribedByMail" };

function noteOf(method: UnsubscribeMethod): string {
  return SYSTEM_SUPPRESSION_NOTES[NOTE_OF[method]];
}

/**
 * What the unsubscribe page shows before anyone confirms: whose address, and who sent to it;
 * `unsubscribed` when the address is on the department's list as unsubscribed now.
 */
export type UnsubscribeSubject = { email: string; department: string; sender: string; senderAddress: string; unsubscribed: boolean };

export async function describeUnsubscribe(db: Executor, deliveryId: number): Promise<UnsubscribeSubject | null> {
  if (!Number.isSafeInteger(deliveryId) || deliveryId <= 0) return null;
  const [row] = await queryRows<{ email: string; department: string; sender: string | null; sender_address: string; unsubscribed: boolean }>(
    db,
    sql`select d.email, dep.name as department, coalesce(nullif(t.from_name, ''), nullif(s.name, '')) as sender, s.address as sender_address,
               exists (select 1 from suppressions x where x.department_id = d.department_id and x.email = d.email and x.reason = 'unsubscribed') as unsubscribed
        from deliveries d
        join tasks t on t.id = d.task_id
        join senders s on s.id = t.sender_id
        join departments dep on dep.id = d.department_id
        where d.id = ${deliveryId}`,
  );
  if (!row) return null;
  return { email: row.email, department: row.department, sender: row.sender ?? row.sender_address, senderAddress: row.sender_address, unsubscribed: row.unsubscribed };
}
