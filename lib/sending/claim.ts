import "server-only";
import { sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import type { TaskChannel } from "@/db/schema";
import { suppressionMatches } from "@/lib/addresses/erased";

/** One recipient of a claimed batch, with what rendering and suppression need. */
export type Claimed = {
  id: number;
  email: string;
  contactId: number | null;
  attempts: number;
  name: string | null;
  attributes: Record<string, string> | null;
  suppressed: boolean;
  /** A messaging channel's address (the E.164 number of an SMS); null for e-mail. */
  address: string | null;
  /** Quota the row holds: its SMS segments; null (one unit) for e-mail. */
  segments: number | null;
  /** An A/B test's share: the variant it is sent; null otherwise. */
  variant: number | null;
};

/** Claims due rows of the first batch that has any, or says the task is not sending. */
export async function claimBatch(db: Executor, taskId: string, size: number, leaseMs: number, claimToken: string, at?: Date): Promise<Claimed[] | "not_sending"> {
  return db.transaction(async (tx) => {
    // One claim of a task at a time: concurrent SKIP LOCKED claims could split a batch, and a split batch re-sent after a crash gets other idempotency keys.
    const [task] = await queryRows<{ status: string; channel: TaskChannel; transactional: boolean }>(
      tx,
      sql`select t.status, t.channel, coalesce((select m.transactional from messages m where m.task_id = t.id), false) as transactional from tasks t where t.id = ${taskId} for update`,
    );
    if (task?.status !== "sending") return "not_sending" as const;
    // A message sent with `transactional: true` goes to an unsubscribed address; a hard bounce, a complaint or a manual suppression still stops it.
    const suppressingReason = task.transactional ? sql`s.reason <> 'unsubscribed'` : sql`true`;
    // Each channel its own list: an SMS task asks channel_suppressions for the number, never e-mail's list or the contact's mail status.
    const suppressedNow =
      task.channel === "email"
        ? sql`(c.status is not null and c.status <> 'active') or exists (select 1 from suppressions s where s.department_id = claimed.department_id and ${suppressionMatches(sql`s.email`, sql`claimed.email`)} and ${suppressingReason})`
        : sql`exists (select 1 from channel_suppressions cs where cs.department_id = claimed.department_id and cs.channel = ${task.channel} and cs.address = claimed.address)`;
    const rows = await queryRows<Omit<Claimed, "id" | "contactId"> & { id: string | number; contact_id: string | number | null }>(
      tx,
      sql`with picked as (
            select id, batch_no from deliveries
            where task_id = ${taskId} and status = 'queued' and next_attempt_at <= ${at ? sql`${at.toISOString()}::timestamptz` : sql`now()`}
            order by batch_no, id limit ${size} for update skip locked
          ), first_batch as (select min(batch_no) as batch_no from picked),
          claimed as (
            update deliveries d set status = 'sending', lease_until = now() + ${leaseMs} * interval '1 millisecond', claim_token = ${claimToken}, updated_at = now()
            from picked, first_batch where d.id = picked.id and picked.batch_no = first_batch.batch_no
            returning d.id, d.email, d.contact_id, d.attempts, d.department_id, d.address, d.segments, d.variant
          )
          select claimed.id, claimed.email, claimed.contact_id, claimed.attempts, c.name, c.attributes, claimed.address, claimed.segments, claimed.variant,
                 ${suppressedNow} as suppressed
          from claimed left join contacts c on c.id = claimed.contact_id
          order by claimed.id`,
    );
    return rows.map(({ id, contact_id, ...row }) => ({ ...row, id: Number(id), contactId: contact_id === null ? null : Number(contact_id) }));
  });
}
