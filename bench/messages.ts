/**
 * Issue 14's messages benchmark (`npm run bench -- messages [--rows N]`).
 *
 * Transactional: how long a message accepted by POST /api/v1/messages waits before the engine
 * hands it to the transport, p50 and p95, with nothing else sending (the baseline) and while a
 * campaign of N recipients (default 50,000) sends through the same engine, transport and sink
 * (bench/send-child.ts, a real smtp-server in another process). Messages are accepted one at a
 * time at a steady pace (sendMessage, what the route calls: the clock starts when it has
 * committed, the moment the 202 goes out) and stamped when the engine calls the transport's
 * sendBatch with them. Reported per database (PGlite, and Postgres when a server is there), with
 * the sink's rate meanwhile and p95 with the campaign over p95 without; the campaign is cancelled
 * once the messages are measured.
 *
 * The file is a list of sections (SECTIONS), each measured on each database with what
 * `SectionContext` gives: the transactional lane, and webhook events per second written to the
 * outbox and delivered to a loopback receiver (bench/webhook-events.ts, also `npm run bench -- webhooks`).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { tasks } from "@/db/schema";
import { sendMessage } from "@/lib/messages/send";
import { sendingConfig, type SendingConfig } from "@/lib/sending/config";
import { LocalRunner } from "@/lib/sending/runner";
import { cancelTask, createTask } from "@/lib/sending/tasks";
import { createSmtpTransport, type Transport } from "@/lib/transports";
import type { SmtpStats } from "./send-child";
import { measureWebhookEvents } from "./webhook-events";
import { DEFAULT_SERVER_URL, makeSetup, onPglite, onPostgres, startChild, withEnv, type Child, type Setup, type Target } from "./send";

const DEFAULT_CAMPAIGN = 50_000;
/** Messages accepted in each phase, one every PACE_MS. */
const MESSAGES = 200;
const PACE_MS = 50;
const BASELINE_MESSAGES = 100;

const log = (message: string) => console.error(`[bench messages] ${message}`);
const round = (value: number, digits = 2) => Number(value.toFixed(digits));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a section gets: a database with a department ready to send (its pool holds `campaign` contacts), the sink, the settings. */
export type SectionContext = { target: Target; db: Database; setup: Setup; sink: Child; campaign: number; config: SendingConfig };

/** Each section of the benchmark, measured on each database; a new measure is one more entry. */
const SECTIONS: Record<string, (context: SectionContext) => Promise<object>> = {
  transactional: measureTransactional,
  webhookEvents: ({ db, target }) => measureWebhookEvents(db, target.driver),
};

/** The transport the engine gets, stamping when each delivery was handed to it. */
function stamping(transport: Transport, handedAt: Map<string, number>): Transport {
  return {
    get name() {
      return transport.name;
    },
    get maxBatch() {
      return transport.maxBatch;
    },
    sendBatch: (messages, options) => {
      const now = performance.now();
      for (const message of messages) if (!handedAt.has(message.id)) handedAt.set(message.id, now);
      return transport.sendBatch(messages, options);
    },
    close: () => transport.close(),
  } as Transport;
}

function percentile(sorted: number[], share: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)]!;
}

type Latencies = { messages: number; p50Ms: number; p95Ms: number; maxMs: number };

/** Accepts `count` messages one every PACE_MS while `keepGoing()`, and waits until each was handed to the transport. */
async function acceptMessages(setup: Setup, handedAt: Map<string, number>, count: number, keepGoing: () => boolean): Promise<Latencies> {
  const accepted: { deliveryId: string; at: number }[] = [];
  for (let index = 0; index < count && keepGoing(); index++) {
    const started = performance.now();
    const { answer } = await sendMessage(setup.ctx, {
      senderId: setup.senderId,
      departmentId: setup.departmentId,
      to: [{ email: `buyer${index}.${crypto.randomUUID().slice(0, 8)}@orders.example.com`, name: "Buyer", data: { order: `B-${index}` } }],
      subject: "Order {{ order }} confirmed",
      html: '<p>Thanks, {{ name }}. Order {{ order }} is confirmed.</p><p><a href="https://shop.example.com/orders">Your orders</a></p>',
      transactional: true,
    });
    accepted.push({ deliveryId: answer.deliveries[0]!.id, at: performance.now() });
    await sleep(Math.max(0, PACE_MS - (performance.now() - started)));
  }
  const deadline = Date.now() + 120_000;
  while (accepted.some(({ deliveryId }) => !handedAt.has(deliveryId))) {
    if (Date.now() > deadline) throw new Error("messages were not handed to the transport within 2 minutes");
    await sleep(5);
  }
  const waits = accepted.map(({ deliveryId, at }) => handedAt.get(deliveryId)! - at).sort((a, b) => a - b);
  return { messages: waits.length, p50Ms: round(percentile(waits, 0.5)), p95Ms: round(percentile(waits, 0.95)), maxMs: round(waits.at(-1) ?? NaN) };
}

async function measureTransactional({ target, db, setup, sink, campaign, config }: SectionContext) {
  const handedAt = new Map<string, number>();
  const transport = createSmtpTransport({ url: `smtp://127.0.0.1:${sink.port}` });
  const runner = new LocalRunner(db, { transport: stamping(transport, handedAt), config, log }).start();
  const received = async () => (await sink.stats<SmtpStats>()).messages;
  try {
    log(`${target.driver}: baseline, ${BASELINE_MESSAGES} messages with nothing else sending`);
    const baseline = await acceptMessages(setup, handedAt, BASELINE_MESSAGES, () => true);
    log(`${target.driver}: baseline p50 ${baseline.p50Ms} ms, p95 ${baseline.p95Ms} ms`);

    const task = await createTask(setup.ctx, { name: `Bench campaign ${crypto.randomUUID()}`, templateId: setup.templateId, poolIds: [setup.poolId], senderId: setup.senderId, departmentId: setup.departmentId });
    const status = async () => (await db.select({ status: tasks.status, sent: tasks.sent }).from(tasks).where(eq(tasks.id, task.id)))[0]!;
    // Messages count only while the campaign is sending: wait until it has sent its first batches.
    while ((await status()).sent < config.batchSize * config.concurrency) await sleep(20);
    let campaignSending = true;
    const watcher = (async () => {
      while (campaignSending) {
        campaignSending = (await status()).status === "sending";
        await sleep(100);
      }
    })();
    const before = { at: performance.now(), sent: (await status()).sent, received: await received() };
    log(`${target.driver}: ${campaign.toLocaleString("en")}-recipient campaign sending; up to ${MESSAGES} messages meanwhile`);
    const during = await acceptMessages(setup, handedAt, MESSAGES, () => campaignSending);
    const after = { at: performance.now(), sent: (await status()).sent };
    const stillSending = campaignSending;
    const receivedMeanwhile = (await received()) - before.received;
    log(`${target.driver}: during the campaign p50 ${during.p50Ms} ms, p95 ${during.p95Ms} ms (${during.messages} messages); the campaign is cancelled`);
    campaignSending = false;
    await watcher;
    // What was to be measured is measured; the rest of the campaign would only cost minutes.
    const final = await cancelTask(setup.ctx, task.id).catch(async () => (await status()) as { status: string; sent: number });
    const seconds = (after.at - before.at) / 1000;
    return {
      baseline,
      duringCampaign: during,
      p95Ratio: round(during.p95Ms / baseline.p95Ms),
      campaign: {
        recipients: campaign,
        /** Still sending when the last message was handed over: every message above was measured beside it. */
        stillSendingAfterLastMessage: stillSending,
        sentBeforeCancelled: final.sent,
        /** Batches are counted when recorded, so this moves in steps of a batch. */
        recordedPerSecondMeanwhile: Math.round((after.sent - before.sent) / seconds),
      },
      /** Everything the sink received while the messages were accepted (campaign and messages), per second. */
      sinkPerSecondMeanwhile: Math.round(receivedMeanwhile / seconds),
    };
  } finally {
    await runner.stop();
    await transport.close();
  }
}

function campaignSize(option: string | undefined): number {
  const text = option ?? process.env.BENCH_ROWS;
  if (text === undefined || text === "") return DEFAULT_CAMPAIGN;
  const rows = Number(text.replaceAll("_", ""));
  if (!Number.isSafeInteger(rows) || rows < 1000) throw new Error(`--rows / BENCH_ROWS must be a whole number of at least 1,000 (got "${text}")`);
  return rows;
}

/** BENCH_MESSAGES_PARTS=pglite,postgres (the default: both) picks the databases. */
function databasesToRun(): Set<string> {
  const known = ["pglite", "postgres"];
  const parts = (process.env.BENCH_MESSAGES_PARTS ?? known.join(",")).split(",").map((part) => part.trim()).filter(Boolean);
  const unknown = parts.filter((part) => !known.includes(part));
  if (unknown.length > 0) throw new Error(`BENCH_MESSAGES_PARTS: unknown part "${unknown.join('", "')}" (known: ${known.join(", ")})`);
  return new Set(parts);
}

export async function runMessagesBenchmark(options: { rows?: string }) {
  const campaign = campaignSize(options.rows);
  const parts = databasesToRun();
  const serverUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || DEFAULT_SERVER_URL;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-bench-messages-"));
  const loadAtStart = os.loadavg()[0]!;
  // The webhook receiver listens on loopback, which only FANOUT_WEBHOOKS_ALLOW_PRIVATE lets an endpoint reach.
  return withEnv({ FANOUT_DATA_DIR: dir, FANOUT_RUNNER: "local", FANOUT_WEBHOOKS_ALLOW_PRIVATE: "true" }, async () => {
    const config = sendingConfig();
    const sink = await startChild({ kind: "smtp" });
    const measureOn = async (target: Target) => {
      const handle = await target.open();
      try {
        log(`${target.driver}: ${campaign.toLocaleString("en")} contacts, template and sender`);
        const setup = await makeSetup(handle.db, campaign);
        const results: Record<string, object> = {};
        for (const [name, section] of Object.entries(SECTIONS)) results[name] = await section({ target, db: handle.db, setup, sink, campaign, config });
        return results;
      } finally {
        await handle.close();
      }
    };
    try {
      const pglite = parts.has("pglite") ? await onPglite(dir, measureOn) : { skipped: "not asked for" };
      const postgres = parts.has("postgres") ? await onPostgres(serverUrl, measureOn) : { skipped: "not asked for" };
      return {
        campaign,
        node: process.version,
        cpus: os.cpus().length,
        loadAverage: { start: round(loadAtStart), end: round(os.loadavg()[0]!) },
        config: { batchSize: config.batchSize, concurrency: config.concurrency, messagePaceMs: PACE_MS },
        pglite,
        postgres,
      };
    } finally {
      await sink.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
