import "server-only";
import crypto from "node:crypto";
import { sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import type { BounceCategory } from "@/db/schema";
import { consumeQuota, releaseQuota } from "@/lib/accounts/quota";
import { suppressionMatches } from "@/lib/addresses/erased";
import { categoryOfReply } from "@/lib/feedback/reply";
import { buildMessage, trackHtml } from "@/lib/templates/message";
import { addToRollups, recipientDomainOf, type RollupCounts, type RollupKey } from "@/lib/deliveries/rollups";
import { suppressHardFailures } from "@/lib/feedback/suppress";
import { SYSTEM_SUPPRESSION_NOTES } from "@/lib/i18n/system-notes";
import { unsubscribeLinks } from "@/lib/tokens/delivery-links";
import { emitWebhookEvents } from "@/lib/webhooks/emit";
import { announceGuardPauses, guardTask } from "@/lib/guard/guard";
import type { OutgoingMessage, SendResult, Transport } from "@/lib/transports/types";
import { retryDelayMs, type SendingConfig } from "./config";
import { ChannelNotConfiguredError } from "@/lib/channels";
import type { ChannelMessage, ChannelTransport, MessagingChannel } from "@/lib/channels/types";
import type { TaskChannel } from "@/db/schema";
import { renderSms } from "./channel";
import { isChannelContext, taskContextFor, type ChannelSendContext, type SendContext, type TaskSendContext } from "./context";
import { completeIfFinished } from "./materialize";
import type { RateLimiter } from "./throttle";
import { claimTokenOf, countSent } from "./workers";

export type EngineDeps = {
  db: Executor;
  transport: Transport;
  /** The messaging channels' transports (lib/channels, built from the environment); a task on a channel without one fails with the reason. */
  channels?: Partial<Record<MessagingChannel, ChannelTransport>>;
  config: SendingConfig;
  limiter?: RateLimiter;
  /** Aborts a transport call in flight (process shutdown). */
  signal?: AbortSignal;
  /** The heartbeating runner claiming (workers.ts): its claims are taken over when it stops, not only when their lease ends. */
  workerId?: string;
};

export type BatchOutcome = {
  /** Why nothing was claimed: the task is not sending, or no recipient is due now. */
  idle?: "not_sending" | "nothing_due";
  claimed: number;
  sent: number;
  failed: number;
  retrying: number;
  suppressed: number;
};

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
};

const IDLE = (idle: BatchOutcome["idle"]): BatchOutcome => ({ idle, claimed: 0, sent: 0, failed: 0, retrying: 0, suppressed: 0 });

/**
 * One turn of the engine for one task: claim up to one batch of due recipients (a lease,
 * committed before anything is sent), render and send them, and record every answer with the
 * task's counters, the quota and the daily rollups in one transaction.
 */
export async function runBatch(deps: EngineDeps, taskId: string): Promise<BatchOutcome> {
  const { db, config } = deps;
  // Loaded before claiming (cached per task): a task that cannot be sent fails without holding rows.
  const taskContext = await taskContextFor(db, taskId);
  if (isChannelContext(taskContext)) return runChannelBatch(deps, taskContext);
  const context = taskContext;
  const batchSize = Math.min(config.batchSize, deps.transport.maxBatch);
  const claimToken = claimTokenOf(deps.workerId);
  const claimed = await claimBatch(db, taskId, batchSize, config.leaseMs, claimToken);
  if (claimed === "not_sending") return IDLE("not_sending");
  if (claimed.length === 0) return IDLE("nothing_due");

  const outcomes = new Map<number, Outcome>();
  const messages: OutgoingMessage[] = [];
  let sliceStarted = performance.now();
  for (const recipient of claimed) {
    if (recipient.suppressed) {
      outcomes.set(recipient.id, { kind: "suppressed" });
      continue;
    }
    try {
      messages.push(messageFor(context, recipient));
    } catch (error) {
      outcomes.set(recipient.id, { kind: "unsendable", reply: `Rendering failed: ${error instanceof Error ? error.message : String(error)}` });
    }
    if (performance.now() - sliceStarted >= RENDER_SLICE_MS) {
      await yieldToEventLoop();
      sliceStarted = performance.now();
    }
  }

  if (messages.length > 0) {
    const results = await send(deps, context, messages, batchIdempotencyKey(taskId, claimed));
    const byId = new Map(claimed.map((row) => [row.id, row]));
    results.forEach((result, index) => {
      const id = Number(messages[index]!.id);
      outcomes.set(id, outcomeOf(result, byId.get(id)!, config));
    });
  }
  return recordOutcomes(deps, context, claimed, outcomes, claimToken);
}

/**
 * runBatch for a task on a messaging channel (SMS): each claimed recipient's text rendered and sent
 * through the channel's transport, one message per delivery, recorded as mail's are; quota is
 * consumed by the row's segments. No transport for the channel fails the task with the reason.
 */
async function runChannelBatch(deps: EngineDeps, context: ChannelSendContext): Promise<BatchOutcome> {
  const { db, config } = deps;
  const transport = deps.channels?.[context.channel];
  if (!transport) throw new ChannelNotConfiguredError(context.channel);
  const claimToken = claimTokenOf(deps.workerId);
  const claimed = await claimBatch(db, context.taskId, Math.min(config.batchSize, transport.maxBatch), config.leaseMs, claimToken);
  if (claimed === "not_sending") return IDLE("not_sending");
  if (claimed.length === 0) return IDLE("nothing_due");

  const outcomes = new Map<number, Outcome>();
  const messages: ChannelMessage[] = [];
  for (const recipient of claimed) {
    if (recipient.suppressed) outcomes.set(recipient.id, { kind: "suppressed" });
    else if (!recipient.address) outcomes.set(recipient.id, { kind: "unsendable", reply: `No ${context.channel} address` });
    else {
      try {
        messages.push({ id: String(recipient.id), channel: context.channel, to: recipient.address, text: renderSms(context, { ...recipient, address: recipient.address }) });
      } catch (error) {
        outcomes.set(recipient.id, { kind: "unsendable", reply: `Rendering failed: ${error instanceof Error ? error.message : String(error)}` });
      }
    }
  }
  if (messages.length > 0) {
    if (deps.limiter) await deps.limiter.acquire(`transport:${transport.name}`, config.transportRatePerSecond, messages.length, deps.signal);
    const results = await transport.sendBatch(messages, { signal: deps.signal });
    const byId = new Map(claimed.map((row) => [row.id, row]));
    results.forEach((result, index) => {
      const id = Number(messages[index]!.id);
      outcomes.set(id, outcomeOf(result, byId.get(id)!, config));
    });
  }
  return recordOutcomes({ ...deps, transport: { name: transport.name } }, context, claimed, outcomes, claimToken);
}

/** Claims due rows of the first batch that has any, or says the task is not sending. */
export async function claimBatch(db: Executor, taskId: string, size: number, leaseMs: number, claimToken: string): Promise<Claimed[] | "not_sending"> {
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
    const rows = await queryRows<{
      id: string | number;
      email: string;
      contact_id: string | number | null;
      attempts: number;
      name: string | null;
      attributes: Record<string, string> | null;
      suppressed: boolean;
      address: string | null;
      segments: number | null;
    }>(
      tx,
      sql`with picked as (
            select id, batch_no from deliveries
            where task_id = ${taskId} and status = 'queued' and next_attempt_at <= now()
            order by batch_no, id limit ${size} for update skip locked
          ), first_batch as (select min(batch_no) as batch_no from picked),
          claimed as (
            update deliveries d set status = 'sending', lease_until = now() + ${leaseMs} * interval '1 millisecond', claim_token = ${claimToken}, updated_at = now()
            from picked, first_batch where d.id = picked.id and picked.batch_no = first_batch.batch_no
            returning d.id, d.email, d.contact_id, d.attempts, d.department_id, d.address, d.segments
          )
          select claimed.id, claimed.email, claimed.contact_id, claimed.attempts, c.name, c.attributes, claimed.address, claimed.segments,
                 ${suppressedNow} as suppressed
          from claimed left join contacts c on c.id = claimed.contact_id
          order by claimed.id`,
    );
    return rows.map(({ id, email, contact_id, attempts, name, attributes, suppressed, address, segments }) => ({
      id: Number(id),
      email,
      contactId: contact_id === null ? null : Number(contact_id),
      attempts,
      name,
      attributes,
      suppressed,
      address,
      segments,
    }));
  });
}

/** The message of one claimed recipient (exported for the send benchmark's transport-only baseline). */
export function messageFor(context: SendContext, recipient: Pick<Claimed, "id" | "email" | "name" | "attributes">): OutgoingMessage {
  const deliveryId = String(recipient.id);
  const unsubscribe = unsubscribeLinks(deliveryId, context.senderDomain);
  // A `message` task's recipient brings its own name and data: its keys are variables of their own and `attributes` too.
  const own = context.recipientData?.get(recipient.email);
  const rendered = context.template.render(
    { email: recipient.email, name: own?.name ?? recipient.name ?? "", attributes: (own?.data as Record<string, string> | undefined) ?? recipient.attributes ?? {} },
    { ...own?.data, sender_name: context.from.name ?? "", sender_address: context.from.address, unsubscribe_url: unsubscribe.url },
  );
  // The text part keeps its links as written: a reader sees them in full, and a long signed URL there looks like phishing.
  const html = context.tracking !== false ? trackHtml(rendered.html, deliveryId) : rendered.html;
  return {
    ...buildMessage({
      deliveryId,
      to: recipient.email,
      from: context.from,
      rendered: { ...rendered, html },
      attachments: context.attachments,
      replyTo: context.replyTo,
      dkim: context.dkim,
      messageId: `<${context.taskId}.${deliveryId}@${context.senderDomain}>`,
      verp: true,
      unsubscribe,
    }),
    departmentId: context.departmentId,
  };
}

/**
 * The same recipients at the same attempt give the same key, so a batch re-sent after a crash
 * is recognised by Resend as the one already sent (24 h); a retry after an answer is a new key.
 */
export function batchIdempotencyKey(taskId: string, claimed: readonly { id: number; attempts: number }[]): string {
  const ids = claimed.map((row) => `${row.id}:${row.attempts}`).sort();
  return `fanout-${crypto.createHash("sha256").update(`${taskId}|${ids.join(",")}`).digest("hex").slice(0, 40)}`;
}

/**
 * Rendering a batch of 100 takes 10–50 ms of CPU (most of it the unsubscribe link's token). Done in
 * one go it holds up everything else on the event loop for that long: replies waiting on the
 * transport's open connections, a paced request just let go, the console's pages when the runner
 * lives in the server. Slices of a few milliseconds cost nothing measurable (send benchmark).
 */
const RENDER_SLICE_MS = 4;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Sends under the limits: messages per second for the transport and for the sender domain,
 * counted as they are let go; for Resend also its API requests, each holding its place in the
 * window until its answer is back (RateLimiter.hold). A batch is one Resend request (the engine
 * never claims more than the transport's largest batch), except that Resend's batch endpoint
 * takes no attachments: such messages go one request each, each paced.
 */
async function send(deps: EngineDeps, context: SendContext, messages: OutgoingMessage[], idempotencyKey: string): Promise<SendResult[]> {
  const { limiter, config, transport, signal } = deps;
  if (limiter) {
    await limiter.acquire(`transport:${transport.name}`, config.transportRatePerSecond, messages.length, signal);
    await limiter.acquire(`domain:${context.senderDomain}`, config.domainRatePerSecond, messages.length, signal);
  }
  if (!limiter || transport.name !== "resend" || !(config.resendRequestsPerSecond > 0)) return transport.sendBatch(messages, { idempotencyKey, signal });

  const results: SendResult[] = new Array(messages.length);
  const batchable = messages.flatMap((message, index) => (message.attachments?.length ? [] : [index]));
  const requests = [...(batchable.length > 0 ? [batchable] : []), ...messages.flatMap((message, index) => (message.attachments?.length ? [[index]] : []))];
  for (const indexes of requests) {
    const release = await limiter.hold("transport:resend:requests", config.resendRequestsPerSecond, signal);
    try {
      // The same key for each: the transport keys a chunk by its position and a lone message by its id.
      const answers = await transport.sendBatch(indexes.map((index) => messages[index]!), { idempotencyKey, signal });
      indexes.forEach((index, position) => (results[index] = answers[position]!));
    } finally {
      release();
    }
  }
  return results;
}

type Outcome =
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
async function recordOutcomes(
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
