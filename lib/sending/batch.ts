import "server-only";
import crypto from "node:crypto";
import type { Executor } from "@/db/client";
import { buildMessage, trackHtml } from "@/lib/templates/message";
import { feedbackAddress } from "@/lib/tokens/delivery-addresses";
import { unsubscribeLinks } from "@/lib/tokens/delivery-links";
import type { OutgoingMessage, SendResult, Transport } from "@/lib/transports/types";
import { ChannelNotConfiguredError } from "@/lib/channels";
import type { ChannelMessage, ChannelTransport, MessagingChannel } from "@/lib/channels/types";
import { channelMessageFor } from "./channel";
import { claimBatch, type Claimed } from "./claim";
import type { SendingConfig } from "./config";
import { contextOfVariant, isChannelContext, taskContextFor, type ChannelSendContext, type SendContext } from "./context";
import { addAnswers, recordOutcomes, renderingFailed, type Outcome } from "./record";
import type { RateLimiter } from "./throttle";
import { claimTokenOf } from "./workers";

export { claimBatch, type Claimed } from "./claim";

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
  /** What time it is for the claim's "due" (a recipient waiting for a retry or a planned hour): tests' fake clocks; absent: the database's. */
  clock?: () => Date;
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
  const claimed = await claimBatch(db, taskId, batchSize, config.leaseMs, claimToken, deps.clock?.());
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
      messages.push(messageFor(contextOfVariant(context, recipient.variant), recipient));
    } catch (error) {
      outcomes.set(recipient.id, renderingFailed(error));
    }
    if (performance.now() - sliceStarted >= RENDER_SLICE_MS) {
      await yieldToEventLoop();
      sliceStarted = performance.now();
    }
  }

  if (messages.length > 0) {
    addAnswers(outcomes, claimed, messages, await send(deps, context, messages, batchIdempotencyKey(taskId, claimed)), config);
  }
  return recordOutcomes(deps, context, claimed, outcomes, claimToken);
}

/**
 * runBatch for a task on a messaging channel (SMS, WhatsApp): each claimed recipient's message rendered and sent
 * through the channel's transport, one message per delivery, recorded as mail's are; quota is
 * consumed by the row's segments. No transport for the channel fails the task with the reason.
 */
async function runChannelBatch(deps: EngineDeps, context: ChannelSendContext): Promise<BatchOutcome> {
  const { db, config } = deps;
  const transport = deps.channels?.[context.channel];
  if (!transport) throw new ChannelNotConfiguredError(context.channel);
  const claimToken = claimTokenOf(deps.workerId);
  const claimed = await claimBatch(db, context.taskId, Math.min(config.batchSize, transport.maxBatch), config.leaseMs, claimToken, deps.clock?.());
  if (claimed === "not_sending") return IDLE("not_sending");
  if (claimed.length === 0) return IDLE("nothing_due");

  const outcomes = new Map<number, Outcome>();
  const messages: ChannelMessage[] = [];
  for (const recipient of claimed) {
    if (recipient.suppressed) outcomes.set(recipient.id, { kind: "suppressed" });
    else if (!recipient.address) outcomes.set(recipient.id, { kind: "unsendable", reply: `No ${context.channel} address` });
    else {
      try {
        messages.push(channelMessageFor(context, { ...recipient, address: recipient.address }));
      } catch (error) {
        outcomes.set(recipient.id, renderingFailed(error));
      }
    }
  }
  if (messages.length > 0) {
    if (deps.limiter) await deps.limiter.acquire(`transport:${transport.name}`, config.transportRatePerSecond, messages.length, deps.signal);
    addAnswers(outcomes, claimed, messages, await transport.sendBatch(messages, { signal: deps.signal }), config);
  }
  return recordOutcomes({ ...deps, transport: { name: transport.name } }, context, claimed, outcomes, claimToken);
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
      replyTo: context.replyTracking ? feedbackAddress("reply", deliveryId, context.senderDomain) : context.replyTo,
      dkim: context.dkim,
      messageId: context.messageId ?? `<${context.taskId}.${deliveryId}@${context.senderDomain}>`,
      verp: true,
      unsubscribe,
      senderDomain: context.senderDomain,
      ...(context.headers ? { headers: { ...context.headers, ...context.recipientHeaders?.(recipient.email) } } : {}),
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
