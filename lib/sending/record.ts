import "server-only";
import { sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import type { BounceCategory, TaskChannel } from "@/db/schema";
import { consumeQuota, releaseQuota } from "@/lib/accounts/quota";
import { categoryOfReply } from "@/lib/feedback/reply";
import { addToRollups, recipientDomainOf, type RollupCounts, type RollupKey } from "@/lib/deliveries/rollups";
import { suppressHardFailures } from "@/lib/feedback/suppress";
import { SYSTEM_SUPPRESSION_NOTES } from "@/lib/i18n/system-notes";
import { emitWebhookEvents } from "@/lib/webhooks/emit";
import { announceGuardPauses, guardTask } from "@/lib/guard/guard";
import type { SendResult, Transport } from "@/lib/transports/types";
import type { ChannelTransport } from "@/lib/channels/types";
import type { BatchOutcome, EngineDeps } from "./batch";
import type { Claimed } from "./claim";
import { retryDelayMs, type SendingConfig } from "./config";
import { isChannelContext, type TaskSendContext } from "./context";
import { completeIfFinished } from "./materialize";
import { countSent } from "./workers";

/*
 * The second half of a batch: what each claimed recipient's answer means (sent, failed for good,
 * retried later, suppressed, never sendable) and its recording with the task's counters, quota,
 * rollups, suppressions and webhooks in one transaction.
 */

export type Outcome =
  | { kind: "sent"; providerId?: string; code?: number; reply?: string }
  | { kind: "failed"; category: BounceCategory; code?: number; enhancedStatus?: string; reply: string }
  | { kind: "retry"; code?: number; enhancedStatus?: string; reply: string; delayMs: number }
  | { kind: "suppressed" }
  /** Never reached the transport (e.g. rendering failed): final, and its quota is given back. */
  | { kind: "unsendable"; reply: string };

function outcomeOf(result: SendResult, recipient: Claimed, config: SendingConfig): Outcome {
  if (result.ok) return { kind: "sent", providerId: result.providerId, code: result.code, reply: result.reply };
  const answers = recipient.attempts + 1;
  if (result.retry && answers < config.maxAttempts) {
    return { kind: "retry", code: result.code, enhancedStatus: result.enhancedStatus, reply: result.reply, delayMs: retryDelayMs(config, answers, result.retryAfterMs) };
  }
  return { kind: "failed", category: categoryOfReply(result), code: result.code, enhancedStatus: result.enhancedStatus, reply: result.reply };
}

/** Each transport answer as the outcome of its claimed row (a message carries its row's id, in order). */
export function addAnswers(outcomes: Map<number, Outcome>, claimed: readonly Claimed[], messages: readonly { id: string }[], results: readonly SendResult[], config: SendingConfig): void {
  const byId = new Map(claimed.map((row) => [row.id, row]));
  results.forEach((result, index) => {
    const id = Number(messages[index]!.id);
    outcomes.set(id, outcomeOf(result, byId.get(id)!, config));
  });
}

/** A recipient whose message could not be rendered: final, never sent, its quota given back. */
export function renderingFailed(error: unknown): Outcome {
  return { kind: "unsendable", reply: `Rendering failed: ${error instanceof Error ? error.message : String(error)}` };
}

type RecordRow = {
  id: number;
  status: "sent" | "failed" | "queued" | "suppressed";
  answered: boolean;
  category: BounceCategory | null;
  code: number | null;
  enhanced: string | null;
  error: string | null;
  provider_id: string | null;
  message_id: string | null;
  delay_ms: number;
};

/** Records every outcome of a claim, its counters, quota and rollups in one transaction. */
export async function recordOutcomes(
  deps: Omit<EngineDeps, "transport"> & { transport: Pick<Transport | ChannelTransport, "name"> },
  context: TaskSendContext,
  claimed: Claimed[],
  outcomes: Map<number, Outcome>,
  claimToken: string,
): Promise<BatchOutcome> {
  const channel = isChannelContext(context) ? context.channel : "email";
  // Rollups and reports group by sender domain; a channel's sends stand under the channel's name there.
  const rollupKey = { departmentId: context.departmentId, clientIp: context.clientIp, senderDomain: isChannelContext(context) ? context.channel : context.senderDomain };
  const rows: RecordRow[] = claimed.map((recipient) => {
    const outcome = outcomes.get(recipient.id) ?? { kind: "retry", reply: "No answer from the transport", delayMs: retryDelayMs(deps.config, recipient.attempts + 1) };
    const messageId = isChannelContext(context) ? null : `<${context.taskId}.${recipient.id}@${context.senderDomain}>`;
    switch (outcome.kind) {
      case "sent":
        return { id: recipient.id, status: "sent", answered: true, category: null, code: outcome.code ?? null, enhanced: null, error: null, provider_id: outcome.providerId ?? null, message_id: messageId, delay_ms: 0 };
      case "failed":
        return { id: recipient.id, status: "failed", answered: true, category: outcome.category, code: outcome.code ?? null, enhanced: outcome.enhancedStatus ?? null, error: outcome.reply, provider_id: null, message_id: messageId, delay_ms: 0 };
      case "retry":
        return { id: recipient.id, status: "queued", answered: true, category: null, code: outcome.code ?? null, enhanced: outcome.enhancedStatus ?? null, error: outcome.reply, provider_id: null, message_id: null, delay_ms: outcome.delayMs };
      case "suppressed":
        return { id: recipient.id, status: "suppressed", answered: false, category: null, code: null, enhanced: null, error: "Suppressed at send time", provider_id: null, message_id: null, delay_ms: 0 };
      case "unsendable":
        return { id: recipient.id, status: "failed", answered: false, category: "other", code: null, enhanced: null, error: outcome.reply, provider_id: null, message_id: null, delay_ms: 0 };
    }
  });

  let guardPaused: string[] = [];
  const outcome = await deps.db.transaction(async (tx) => {
    // Only rows this claim still holds are recorded: if the lease ran out and another worker took them, its answer counts.
    const recorded = await queryRows<{
      id: string | number;
      status: RecordRow["status"];
      answered: boolean;
      category: BounceCategory | null;
      email: string;
      contact_id: string | number | null;
      segments: number | null;
    }>(
      tx,
      sql`update deliveries d set
            status = r.status, attempts = d.attempts + case when r.answered then 1 else 0 end,
            category = r.category, code = r.code, enhanced_status = r.enhanced, error = r.error,
            provider_id = coalesce(r.provider_id, d.provider_id), message_id = coalesce(r.message_id, d.message_id),
            sent_at = case when r.status in ('sent', 'failed') and r.answered then now() else d.sent_at end,
            next_attempt_at = now() + r.delay_ms * interval '1 millisecond',
            lease_until = null, claim_token = null, updated_at = now()
          from json_to_recordset(${JSON.stringify(rows)}::json) as r(id bigint, status text, answered boolean, category text, code int, enhanced text, error text, provider_id text, message_id text, delay_ms bigint)
          where d.id = r.id and d.status = 'sending' and d.claim_token = ${claimToken}
          returning d.id, r.status, r.answered, r.category, d.email, d.contact_id, d.segments`,
    );
    const count = (predicate: (row: (typeof recorded)[number]) => boolean) => recorded.filter(predicate).length;
    // Quota units: one per e-mail, an SMS's segments.
    const units = (predicate: (row: (typeof recorded)[number]) => boolean) => recorded.filter(predicate).reduce((sum, row) => sum + (row.segments ?? 1), 0);
    const sent = count((row) => row.status === "sent");
    const failed = count((row) => row.status === "failed");
    const suppressed = count((row) => row.status === "suppressed");
    const retrying = count((row) => row.status === "queued");
    const consumed = units((row) => row.answered && row.status !== "queued");
    const released = units((row) => !row.answered && row.status !== "queued");
    const finals = sent + failed + suppressed;
    // The guard's counts: answers from receiving servers, and of the refusals the permanent (5xx) ones and their unknown users.
    const refusedForGood = new Set(rows.filter((row) => row.status === "failed" && row.answered && ((row.code ?? 0) >= 500 || row.enhanced?.startsWith("5."))).map((row) => row.id));
    // The reputation guard judges mail (its receiving servers' answers); a channel's answers are not counted.
    const guarded = (predicate: (row: (typeof recorded)[number]) => boolean) => (channel === "email" ? count(predicate) : 0);
    const answers = guarded((row) => row.answered && (row.status === "sent" || row.status === "failed"));
    const hardBounces = guarded((row) => row.status === "failed" && row.answered && refusedForGood.has(Number(row.id)));
    const unknownUsers = guarded((row) => row.status === "failed" && row.answered && row.category === "user_unknown" && refusedForGood.has(Number(row.id)));

    await recordRetryReplies(tx, context.departmentId, rows, recorded, channel !== "email" ? "channel" : deps.transport.name === "resend" ? "resend" : "smtp");
    await emitSendWebhooks(tx, context, recorded);
    if (finals > 0) {
      const [task] = await queryRows<{ department_id: string }>(
        tx,
        sql`update tasks set queued = queued - ${finals}, sent = sent + ${sent}, failed = failed + ${failed}, suppressed = suppressed + ${suppressed},
              reserved = greatest(reserved - ${consumed + released}, 0),
              guard_answers = guard_answers + ${answers}, guard_hard_bounces = guard_hard_bounces + ${hardBounces}, guard_unknown_users = guard_unknown_users + ${unknownUsers}, updated_at = now()
            where id = ${context.taskId} returning department_id`,
      );
      if (task) {
        await consumeQuota(tx, task.department_id, consumed);
        await releaseQuota(tx, task.department_id, released);
      }
      await addToDailyRollup(tx, rollupKey, recorded.filter((row) => row.answered && (row.status === "sent" || row.status === "failed")), channel);
      // A refused e-mail suppresses the address for mail; a failed SMS says nothing about the contact's mailbox.
      if (channel === "email") await suppressHardFailures(tx, context.departmentId, recorded.filter((row) => row.status === "failed" && row.answered), SYSTEM_SUPPRESSION_NOTES.bouncedWhenSent);
      await completeIfFinished(tx, context.taskId);
      if (answers > 0) guardPaused = await guardTask(tx, context.taskId);
      if (deps.workerId) await countSent(tx, deps.workerId, sent);
    }
    return { claimed: claimed.length, sent, failed, retrying, suppressed };
  });
  await announceGuardPauses(deps.db, guardPaused);
  return outcome;
}

/** A message handed over is `sent`; one the receiving server refused for good is `bounced`. */
async function emitSendWebhooks(tx: Executor, context: TaskSendContext, recorded: { id: string | number; status: string; answered: boolean; category: BounceCategory | null; email: string }[]) {
  const of = (status: string) => recorded.filter((row) => row.answered && row.status === status);
  await emitWebhookEvents(tx, context.departmentId, "sent", of("sent").map((row) => ({ deliveryId: Number(row.id), taskId: context.taskId, email: row.email })));
  await emitWebhookEvents(tx, context.departmentId, "bounced", of("failed").map((row) => ({ deliveryId: Number(row.id), taskId: context.taskId, email: row.email, category: row.category ?? "other" })));
}

/** A retried attempt's reply is overwritten on the row by the next one; the delivery's trail keeps it. */
async function recordRetryReplies(tx: Executor, departmentId: string, rows: RecordRow[], recorded: { id: string | number; status: string; answered: boolean }[], source: "smtp" | "resend" | "channel") {
  const retried = new Set(recorded.filter((row) => row.status === "queued" && row.answered).map((row) => Number(row.id)));
  if (retried.size === 0) return;
  const events = rows.filter((row) => retried.has(row.id)).map((row) => ({ id: row.id, detail: { code: row.code, status: row.enhanced, reply: row.error } }));
  await tx.execute(sql`
    insert into delivery_events (delivery_id, department_id, type, source, detail)
    select e.id, ${departmentId}, 'retry', ${source}, e.detail from json_to_recordset(${JSON.stringify(events)}::json) as e(id bigint, detail jsonb)`);
}

async function addToDailyRollup(tx: Executor, key: RollupKey, rows: { status: string; category: BounceCategory | null; email: string }[], channel: TaskChannel) {
  if (rows.length === 0) return;
  const groups = new Map<string, RollupCounts>();
  for (const row of rows) {
    // A number has no domain: a channel's sends are counted under the channel's name.
    const recipientDomain = channel === "email" ? recipientDomainOf(row.email) : channel;
    const counts = groups.get(recipientDomain) ?? {};
    if (row.status === "sent") counts.sent = (counts.sent ?? 0) + 1;
    else {
      const category = row.category ?? "other";
      counts.failed = (counts.failed ?? 0) + 1;
      counts[category] = (counts[category] ?? 0) + 1;
    }
    groups.set(recipientDomain, counts);
  }
  await addToRollups(tx, key, [...groups].map(([recipientDomain, counts]) => ({ recipientDomain, counts })));
}
