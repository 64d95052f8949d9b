import "server-only";
import { notifyWebhookDisabled } from "@/lib/notifications/triggers";
import { sql } from "drizzle-orm";
import { queryRows, type Database } from "@/db/client";
import { systemActor } from "@/lib/access/actor";
import { recordAudit } from "@/lib/audit/record";
import { readEnv } from "@/lib/config/env";
import { forgetWebhookSubscriptions } from "./emit";
import { privateUrlsAllowed } from "./endpoints";
import { postSigned, type PostResult } from "./post";
import { openSecret } from "./secret-box";

/**
 * Posts due outbox messages (webhook_messages) to their endpoints. A message is leased while it is
 * posted; a worker killed mid-post leaves the lease to run out and the message is taken again, so
 * an event may reach a receiver twice (same webhook-id) but is never lost. A failed attempt is
 * retried with exponential back-off for 24 hours; then the message fails and its endpoint is
 * disabled with an operation-log row. An answer of 410 Gone disables the endpoint at once.
 * Time comes from `now`, so tests step through a day of retries without waiting.
 */
export const RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;
const FIRST_RETRY_MS = 10_000;
const LONGEST_RETRY_MS = 6 * 60 * 60 * 1000;
const LEASE_MS = 60_000;

/** 10 s, 30 s, 90 s, 4.5 min, … tripling up to 6 h: about a dozen attempts in the 24 hours. */
export function retryDelayMs(attempts: number): number {
  return Math.min(FIRST_RETRY_MS * 3 ** Math.max(attempts - 1, 0), LONGEST_RETRY_MS);
}

export type DeliverOptions = {
  now?: Date;
  /** Messages taken in one round; they are posted concurrently. */
  limit?: number;
  timeoutMs?: number;
};

export type DeliverRound = { taken: number; delivered: number; retrying: number; failed: number };

type Due = { id: string | number; endpoint_id: string; type: string; payload: Record<string, unknown>; created_at: string | Date; url: string; secret_cipher: string; department_id: string | null };

export async function deliverDueWebhooks(db: Database, options: DeliverOptions = {}): Promise<DeliverRound> {
  const now = options.now ?? new Date();
  const due = await queryRows<Due>(
    db,
    sql`with due as (
          select m.id from webhook_messages m join webhook_endpoints e on e.id = m.endpoint_id and e.enabled
          where m.status = 'pending' and m.next_attempt_at <= ${now.toISOString()}::timestamptz
            and (m.lease_until is null or m.lease_until <= ${now.toISOString()}::timestamptz)
          order by m.next_attempt_at, m.id
          limit ${options.limit ?? 100}
          for update of m skip locked)
        update webhook_messages m set lease_until = ${new Date(now.getTime() + LEASE_MS).toISOString()}::timestamptz
        from due, webhook_endpoints e
        where m.id = due.id and e.id = m.endpoint_id
        returning m.id, m.endpoint_id, m.type, m.payload, m.created_at, e.url, e.secret_cipher, e.department_id`,
  );
  const round: DeliverRound = { taken: due.length, delivered: 0, retrying: 0, failed: 0 };
  if (due.length === 0) return round;
  const allowPrivate = await privateUrlsAllowed(db);
  const timeoutMs = options.timeoutMs ?? readEnv().webhooks.timeoutMs;
  const answered = await Promise.all(due.map(async (message) => ({ message, result: await post(message, now, timeoutMs, allowPrivate) })));
  // Most answers are a 2xx: those are recorded in one statement, the rest one by one (they may disable an endpoint).
  const delivered = answered.filter(({ result }) => result.ok);
  round.delivered = await recordDelivered(db, delivered, now);
  for (const { message, result } of answered.filter(({ result }) => !result.ok)) round[await recordAttempt(db, message, result, now)] += 1;
  return round;
}

async function recordDelivered(db: Database, answered: { message: Due; result: PostResult }[], now: Date): Promise<number> {
  if (answered.length === 0) return 0;
  const rows = answered.map(({ message, result }) => ({ id: Number(message.id), code: result.status, body: result.body }));
  const updated = await queryRows<{ id: string | number }>(
    db,
    sql`update webhook_messages m set attempts = m.attempts + 1, status = 'delivered', last_status_code = r.code, last_response = r.body, last_error = null,
          last_attempt_at = ${now.toISOString()}::timestamptz, delivered_at = ${now.toISOString()}::timestamptz, lease_until = null
        from json_to_recordset(${JSON.stringify(rows)}::json) as r(id bigint, code int, body text)
        where m.id = r.id and m.status = 'pending'
        returning m.id`,
  );
  return updated.length;
}

async function post(message: Due, now: Date, timeoutMs: number, allowPrivate: boolean): Promise<PostResult> {
  let secret: string;
  try {
    secret = openSecret(message.secret_cipher);
  } catch {
    return { ok: false, status: null, body: "", error: "The signing secret cannot be read on this server (was AUTH_SECRET changed?)" };
  }
  return postSigned({ url: message.url, secret, messageId: messageIdOf(message.id), body: JSON.stringify(message.payload), at: now, timeoutMs, allowPrivate });
}

/** The Standard Webhooks `webhook-id` of an outbox row: the same on every attempt. */
export function messageIdOf(id: string | number): string {
  return `msg_${id}`;
}

async function recordAttempt(db: Database, message: Due, result: PostResult, now: Date): Promise<"retrying" | "failed"> {
  const gone = result.status === 410;
  const expired = now.getTime() - new Date(message.created_at).getTime() >= RETRY_WINDOW_MS;
  const outcome = gone || expired ? "failed" : "retrying";
  return db.transaction(async (tx) => {
    const [row] = await queryRows<{ attempts: number }>(
      tx,
      sql`update webhook_messages set attempts = attempts + 1, status = ${outcome === "retrying" ? "pending" : outcome},
            last_status_code = ${result.status}, last_response = ${result.body}, last_error = ${result.error},
            last_attempt_at = ${now.toISOString()}::timestamptz, lease_until = null
          where id = ${message.id} and status = 'pending'
          returning attempts`,
    );
    if (!row) return outcome;
    if (outcome === "retrying") {
      await tx.execute(sql`update webhook_messages set next_attempt_at = ${new Date(now.getTime() + retryDelayMs(row.attempts)).toISOString()}::timestamptz where id = ${message.id}`);
    }
    if (outcome === "failed") {
      const reason = gone ? "gone" : "failing";
      const [disabled] = await queryRows<{ url: string }>(
        tx,
        sql`update webhook_endpoints set enabled = false, disabled_reason = ${reason}, disabled_at = ${now.toISOString()}::timestamptz, updated_at = now()
            where id = ${message.endpoint_id} and enabled returning url`,
      );
      if (disabled) {
        await recordAudit(tx, systemActor("webhooks"), {
          action: "webhook.disable",
          objectType: "webhook",
          objectId: message.endpoint_id,
          departmentId: message.department_id,
          summary: { key: gone ? "webhook.disabledGone" : "webhook.disabledFailing", params: { url: disabled.url } },
        });
        await notifyWebhookDisabled(tx, { id: message.endpoint_id, departmentId: message.department_id, url: disabled.url }, reason);
        forgetWebhookSubscriptions();
      }
    }
    return outcome;
  });
}
