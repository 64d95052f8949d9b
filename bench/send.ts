/**
 * Issue 5's send benchmark (`npm run bench -- send [--rows N]`).
 *
 * SMTP, on PGlite and on a fresh Postgres database: N recipients (default 50,000) of a
 * personalised template with links go through the whole engine (task created, recipients
 * materialised, batches claimed, rendered, DKIM-signed, sent and recorded by the LocalRunner) to
 * a real smtp-server in another process (bench/send-child.ts). In the same run, the same sink
 * and the same transport (same options, same connections) send the same number of messages built
 * beforehand with the engine's own messageFor (so rendered and DKIM-signed alike), in batches of
 * the engine's size with the engine's concurrency and no database: the raw rate of the
 * transport. And the wire baseline: the same messages composed and signed beforehand, their bytes
 * written over the same connections with nothing rendered, composed or signed (the transport's
 * sendComposed) — the ceiling of this machine. Reported: the three rates, pipeline/raw and
 * pipeline/wire, CPU per message of each, and the sending process's RSS during the pipeline.
 *
 * Resend: a task of up to 10,000 recipients against a fake Resend (another process) that admits
 * 2 requests in any rolling second and answers 429 beyond: messages per second against the 200
 * allowed, and the 429s it answered.
 */
import { fork, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { eq } from "drizzle-orm";
import { openDatabase, type Database, type DatabaseHandle } from "@/db/client";
import { senderDomains, senders, tasks } from "@/db/schema";
import { createDepartment } from "@/lib/accounts/departments";
import { systemActor } from "@/lib/access/actor";
import type { Ctx } from "@/lib/access/context";
import { refreshStatistics, writeBatch, type PreparedContact } from "@/lib/pools/import";
import { createPool } from "@/lib/pools/pools";
import { messageFor } from "@/lib/sending/batch";
import { sendingConfig, type SendingConfig } from "@/lib/sending/config";
import type { SendContext } from "@/lib/sending/context";
import { LocalRunner } from "@/lib/sending/runner";
import { createTask } from "@/lib/sending/tasks";
import { addDomain, dkimKeyFor } from "@/lib/senders/domains";
import { createSender } from "@/lib/senders/senders";
import { compileTemplate } from "@/lib/templates/compile";
import { createTemplate } from "@/lib/templates/store";
import { buildMime, createResendTransport, createSmtpTransport, type OutgoingMessage, type Transport } from "@/lib/transports";
import type { ComposedMessage, SmtpTransport } from "@/lib/transports/smtp";
import type { ChildMessage, ChildTask, ResendStats, SmtpStats } from "./send-child";
import { ARTICLES } from "./articles";
import { createScratchDatabase, type ScratchDatabase } from "@/db/scratch";

const ROOT = path.resolve(import.meta.dirname, "..");
const CHILD = path.join(ROOT, "bench", "send-child.ts");
const DEFAULT_RECIPIENTS = 50_000;
const RESEND_MESSAGES = 10_000;
const RESEND_REQUESTS_PER_SECOND = 2;
const WARM_UP = 500;
export const DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/test";

export const TARGETS = { pipelineToRaw: 0.8, pipelineRatePostgres: 1_200, pipelineToWirePostgres: 0.5, pipelineToWirePglite: 0.4, resendShareOfAllowed: 0.95, resendRateLimited: 0 };

const log = (message: string) => console.error(`[bench send] ${message}`);
const round = (value: number, digits = 2) => Number(value.toFixed(digits));

// ---------------------------------------------------------------------------------------------
// The far side: a child process

export type Child = { port: number; stats: <S extends SmtpStats | ResendStats>() => Promise<S>; close: () => Promise<void> };

export async function startChild(task: ChildTask): Promise<Child> {
  const child: ChildProcess = fork(CHILD, [JSON.stringify(task)], { cwd: ROOT, execArgv: ["--conditions=react-server", "--import", "tsx"], stdio: ["ignore", 2, 2, "ipc"] });
  const [ready] = (await Promise.race([
    once(child, "message"),
    once(child, "exit").then(([code]) => {
      throw new Error(`the ${task.kind} child ended (exit code ${code}) before it was ready`);
    }),
  ])) as [ChildMessage];
  if (!("ready" in ready)) throw new Error(`the ${task.kind} child said ${JSON.stringify(ready)} instead of ready`);
  return {
    port: ready.port,
    stats: async <S,>() => {
      const answer = once(child, "message");
      child.send({ type: "stats" });
      const [message] = (await answer) as [ChildMessage];
      if (!("type" in message)) throw new Error("the child answered stats with something else");
      return message.stats as S;
    },
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      child.send({ type: "close" });
      await exited;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Databases

export type Target = { driver: "pglite" | "postgres"; open: () => Promise<DatabaseHandle>; drop: () => Promise<void> };
export type Skipped = { skipped: string };

function pgliteTarget(dir: string): Target {
  const dataDir = path.join(dir, "pglite");
  return {
    driver: "pglite",
    open: () => openDatabase({ driver: "pglite", dataDir }),
    drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** A fresh database on the server, dropped afterwards; or why there is none. */
async function postgresTarget(serverUrl: string): Promise<Target | Skipped> {
  let scratch: ScratchDatabase;
  try {
    scratch = await createScratchDatabase(serverUrl, "fanout_bench_send");
  } catch (error) {
    return { skipped: (error as Error).message };
  }
  return { driver: "postgres", open: () => openDatabase({ driver: "pg", url: scratch.url }), drop: scratch.drop };
}

// ---------------------------------------------------------------------------------------------
// What is sent

const SUBJECT = "{{ name | default: \"Hello\" }}, what is new in {{ attributes.city | default: \"your city\" }}";


/** A newsletter of about 3 KB: greeting, city and plan from the contact, seven links and the unsubscribe link. */
const HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Newsletter</title></head>
<body>
  <table role="presentation" width="600" cellpadding="0" cellspacing="0" style="background:#fff">
    <tr><td style="padding:24px"><a href="https://shop.example.com/"><img src="https://cdn.example.com/logo.png" alt="Example Shop" width="120"></a></td></tr>
    <tr><td style="padding:0 24px">
      <p style="font-size:16px">Hi {{ name | default: "there" }},</p>
      <p style="font-size:14px;color:#444">Here is what is new in {{ attributes.city | default: "your city" }} this week.
      {% if attributes.plan == "pro" %}As a Pro member you get early access to every sale.{% endif %}</p>
    </td></tr>${ARTICLES.map(
      ([title, body], i) => `
    <tr><td style="padding:16px 24px;border-bottom:1px solid #eee">
      <h2 style="margin:0 0 8px;font-size:18px">${title}</h2>
      <p style="margin:0 0 8px;font-size:14px;color:#444">${body}</p>
      <a href="https://shop.example.com/articles/${i + 1}?utm_source=newsletter&amp;utm_medium=email">Read more</a>
    </td></tr>`,
    ).join("")}
    <tr><td style="padding:24px;text-align:center">
      <a href="https://shop.example.com/sale?ref={{ attributes.plan | default: 'none' }}" style="background:#4f46e5;color:#fff;padding:12px 20px">Shop the sale</a>
    </td></tr>
    <tr><td style="padding:16px 24px;font-size:12px;color:#888">
      <a href="https://facebook.com/example">Facebook</a> · <a href="https://twitter.com/example">Twitter</a><br>
      You receive this because {{ email }} subscribed at example.com. <a href="{{ unsubscribe_url }}">Unsubscribe</a>
    </td></tr>
  </table>
</body></html>
`;

const FIRST = ["James", "Mary", "张伟", "王芳", "Sofia", "Lukas", "Amélie", "李娜", "O'Brien", ""];
const CITIES = ["Shanghai", "北京", "Berlin", "São Paulo", "", "Hangzhou"];
const PLANS = ["free", "pro", "enterprise"];
const DOMAINS = ["example.com", "example.net", "example.org", "mail.example.cn", "qq.example", "163.example"];

function contact(index: number): PreparedContact {
  const attributes: Record<string, string> = { plan: PLANS[index % PLANS.length]! };
  const city = CITIES[index % CITIES.length]!;
  if (city) attributes.city = city;
  return { line: index + 2, email: `person${index}@${DOMAINS[index % DOMAINS.length]}`, name: FIRST[index % FIRST.length]!, attributes };
}

export type Setup = { ctx: Ctx; departmentId: string; poolId: string; templateId: string; senderId: string; context: SendContext };

/** A department, a pool of `count` contacts (written by the import engine), the template and a sender with its DKIM key. */
export async function makeSetup(db: Database, count: number): Promise<Setup & { seconds: number }> {
  const started = performance.now();
  const ctx: Ctx = { db, actor: systemActor("bench") };
  const department = await createDepartment(ctx, { name: "Bench send", quotaAllocated: null });
  const pool = await createPool(ctx, { name: "Bench send", departmentId: department.id });
  for (let start = 0; start < count; start += 5_000) {
    const rows = Array.from({ length: Math.min(5_000, count - start) }, (_, i) => contact(start + i));
    await writeBatch({ db, departmentId: department.id, poolId: pool.id, updateExisting: false, asyncCommit: true }, rows);
  }
  await refreshStatistics(db, count);
  const template = await createTemplate(ctx, { name: "Bench newsletter", departmentId: department.id, subject: SUBJECT, html: HTML });
  // Verified as a passing DNS check would mark it: installations require verified domains before a sender may use one.
  const domain = await addDomain(ctx, { domain: "bench-send.example.org", departmentId: department.id });
  await db.update(senderDomains).set({ status: "verified", checkedAt: new Date() }).where(eq(senderDomains.id, domain.id));
  const sender = await createSender(ctx, { departmentId: department.id, address: "news@bench-send.example.org", name: "Example Shop" });
  const [row] = await db.select({ domainId: senders.domainId }).from(senders).where(eq(senders.id, sender.id));
  // What the engine's send context holds for such a task (lib/sending/context.ts), for the baseline.
  const context: SendContext = {
    taskId: crypto.randomUUID(),
    departmentId: department.id,
    clientIp: "",
    template: compileTemplate({ id: template.id, version: 1, subject: SUBJECT, html: HTML, text: null }),
    from: { address: "news@bench-send.example.org", name: "Example Shop" },
    senderDomain: "bench-send.example.org",
    dkim: await dkimKeyFor(db, row!.domainId),
    attachments: [],
  };
  if (!context.dkim) throw new Error("the bench sender has no DKIM key");
  return { ctx, departmentId: department.id, poolId: pool.id, templateId: template.id, senderId: sender.id, context, seconds: (performance.now() - started) / 1000 };
}

/** The messages the engine would send, built beforehand (ids past the real deliveries' range). */
function buildMessages(context: SendContext, count: number, firstId: number): OutgoingMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const { email, name, attributes } = contact(i);
    return messageFor(context, { id: firstId + i, email, name, attributes });
  });
}

// ---------------------------------------------------------------------------------------------
// Measurements

/** Wall seconds and this process's CPU seconds of `body`. */
async function timed<T>(body: () => Promise<T>): Promise<T & { seconds: number; cpuSeconds: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await body();
  const used = process.cpuUsage(cpu);
  return { ...result, seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

/** Sends in the runner's way: batches of the engine's size, `concurrency` at a time, no database; what was sent may be collected, as in the engine. */
async function sendInBatches<T>(
  messages: (T | undefined)[],
  size: number,
  concurrency: number,
  send: (batch: T[]) => Promise<{ ok: boolean }[]>,
): Promise<{ sent: number }> {
  let next = 0;
  let sent = 0;
  const worker = async () => {
    while (next < messages.length) {
      const start = next;
      next += size;
      const batch = messages.slice(start, start + size) as T[];
      messages.fill(undefined, start, start + size);
      const results = await send(batch);
      sent += results.filter((result) => result.ok).length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { sent };
}

/** Prepared messages through the transport, rendered and signed per message. */
const sendRaw = (transport: Transport, messages: (OutgoingMessage | undefined)[], config: SendingConfig) =>
  sendInBatches(messages, Math.min(config.batchSize, transport.maxBatch), config.concurrency, (batch) => transport.sendBatch(batch));

/** The wire baseline: bytes composed beforehand, in the same batches and concurrency, over the same connections. */
const sendWire = (transport: SmtpTransport, messages: (ComposedMessage | undefined)[], config: SendingConfig) =>
  sendInBatches(messages, Math.min(config.batchSize, transport.maxBatch), config.concurrency, (batch) => transport.sendComposed(batch));

type Leg = { sent: number; seconds: number; cpuSeconds: number };
const CHUNK = 5_000;

/**
 * `count` messages in chunks (so no more than a chunk is held at once): each chunk built with the
 * engine's messageFor, composed to bytes (not timed), then sent once as bytes (wire) and once as
 * messages (raw), each leg timed on its own.
 */
async function wireAndRaw(transport: SmtpTransport, context: SendContext, count: number, firstId: number, config: SendingConfig): Promise<{ wire: Leg; raw: Leg }> {
  const wire: Leg = { sent: 0, seconds: 0, cpuSeconds: 0 };
  const raw: Leg = { sent: 0, seconds: 0, cpuSeconds: 0 };
  const add = (leg: Leg, run: Leg) => ((leg.sent += run.sent), (leg.seconds += run.seconds), (leg.cpuSeconds += run.cpuSeconds));
  for (let start = 0; start < count; start += CHUNK) {
    const messages = buildMessages(context, Math.min(CHUNK, count - start), firstId + start);
    const composed: ComposedMessage[] = [];
    for (const message of messages) composed.push({ id: message.id, to: message.to, from: message.from, envelopeFrom: message.envelopeFrom, raw: await buildMime(message) });
    add(wire, await timed(() => sendWire(transport, composed, config)));
    add(raw, await timed(() => sendRaw(transport, messages, config)));
  }
  return { wire, raw };
}

/** The sending process's resident memory, sampled while `body` runs: at start, highest, at end (MB). */
async function watchingRss<T>(body: () => Promise<T>): Promise<T & { rssMb: { start: number; peak: number; end: number } }> {
  const mb = () => Math.round(process.memoryUsage.rss() / 1024 / 1024);
  const start = mb();
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, mb())), 250);
  try {
    const result = await body();
    const end = mb();
    return { ...result, rssMb: { start, peak: Math.max(peak, end), end } };
  } finally {
    clearInterval(timer);
  }
}

/** One task through the whole engine: created, materialised, claimed, rendered, sent and recorded. */
async function sendPipeline(setup: Setup, transport: Transport, config: SendingConfig, limit?: number) {
  const task = await createTask(setup.ctx, { name: `Bench ${crypto.randomUUID()}`, templateId: setup.templateId, poolIds: [setup.poolId], senderId: setup.senderId, departmentId: setup.departmentId, limit: limit ?? null });
  const runner = new LocalRunner(setup.ctx.db, { transport, config, log });
  try {
    await runner.drain({ timeoutMs: 30 * 60_000 });
  } finally {
    await runner.stop();
  }
  const [row] = await setup.ctx.db.select().from(tasks).where(eq(tasks.id, task.id));
  return { task: row! };
}

type SmtpResult = {
  recipients: number;
  pipelineSeconds: number;
  pipelineRate: number;
  rawSeconds: number;
  rawRate: number;
  ratio: number;
  wireSeconds: number;
  /** The same bytes written over the same connections with nothing rendered, composed or signed: the ceiling. */
  wireRate: number;
  pipelineToWire: number;
  rawToWire: number;
  /** The sending process's RSS while the pipeline ran (MB). */
  pipelineRssMb: { start: number; peak: number; end: number };
  /** The raw run is split in two halves, before and after the pipeline, so a machine that gets busier or quieter meanwhile weighs on both. */
  rawHalvesRate: [number, number];
  /** CPU time of this process (engine, transport, database client; PGlite itself too) per message sent. */
  cpuMsPerMessage: { pipeline: number; raw: number; wire: number };
  setupSeconds: number;
  /** Counted by the sink: the pipeline's messages, and the raw and wire legs' together (twice the recipients). */
  sinkReceived: { pipeline: number; rawAndWire: number };
  taskStatus: string;
  taskSent: number;
};

async function measureSmtp(target: Target, sink: Child, recipients: number, config: SendingConfig): Promise<SmtpResult> {
  const handle = await target.open();
  // As transportFromEnv makes it from SMTP_URL: the transport's own defaults (5 connections).
  const transport = createSmtpTransport({ url: `smtp://127.0.0.1:${sink.port}` });
  const received = async () => (await sink.stats<SmtpStats>()).messages;
  try {
    log(`${target.driver}: ${recipients.toLocaleString("en")} contacts, template and sender`);
    const setup = await makeSetup(handle.db, recipients);
    const firstHalf = Math.ceil(recipients / 2);
    await sendRaw(transport, buildMessages(setup.context, WARM_UP, 1e12), config);

    const atStart = await received();
    log(`${target.driver}: wire and raw transport, first ${firstHalf.toLocaleString("en")} prepared messages`);
    const before = await wireAndRaw(transport, setup.context, firstHalf, 2e12, config);

    const beforePipeline = await received();
    log(`${target.driver}: pipeline, ${recipients.toLocaleString("en")} recipients`);
    const pipeline = await watchingRss(() => timed(() => sendPipeline(setup, transport, config)));
    const afterPipeline = await received();
    const pipelineRate = pipeline.task.sent / pipeline.seconds;
    log(`${target.driver}: pipeline ${Math.round(pipelineRate)} messages/s (${pipeline.seconds.toFixed(1)} s), task ${pipeline.task.status}, RSS ${JSON.stringify(pipeline.rssMb)} MB`);

    log(`${target.driver}: wire and raw transport, last ${(recipients - firstHalf).toLocaleString("en")} prepared messages`);
    const after = await wireAndRaw(transport, setup.context, recipients - firstHalf, 3e12, config);
    const atEnd = await received();

    const rawSent = before.raw.sent + after.raw.sent;
    const rawSeconds = before.raw.seconds + after.raw.seconds;
    const rawRate = rawSent / rawSeconds;
    const wireSent = before.wire.sent + after.wire.sent;
    const wireSeconds = before.wire.seconds + after.wire.seconds;
    const wireRate = wireSent / wireSeconds;
    log(
      `${target.driver}: wire ${Math.round(wireRate)}, raw ${Math.round(rawRate)} (${Math.round(before.raw.sent / before.raw.seconds)} before, ${Math.round(after.raw.sent / after.raw.seconds)} after) messages/s; pipeline/raw ${(pipelineRate / rawRate).toFixed(2)}, pipeline/wire ${(pipelineRate / wireRate).toFixed(2)}`,
    );
    return {
      recipients,
      pipelineSeconds: round(pipeline.seconds),
      pipelineRate: Math.round(pipelineRate),
      rawSeconds: round(rawSeconds),
      rawRate: Math.round(rawRate),
      ratio: round(pipelineRate / rawRate, 3),
      wireSeconds: round(wireSeconds),
      wireRate: Math.round(wireRate),
      pipelineToWire: round(pipelineRate / wireRate, 3),
      rawToWire: round(rawRate / wireRate, 3),
      pipelineRssMb: pipeline.rssMb,
      rawHalvesRate: [Math.round(before.raw.sent / before.raw.seconds), Math.round(after.raw.sent / after.raw.seconds)],
      cpuMsPerMessage: {
        pipeline: round((pipeline.cpuSeconds * 1000) / pipeline.task.sent),
        raw: round(((before.raw.cpuSeconds + after.raw.cpuSeconds) * 1000) / rawSent),
        wire: round(((before.wire.cpuSeconds + after.wire.cpuSeconds) * 1000) / wireSent),
      },
      setupSeconds: round(setup.seconds),
      sinkReceived: { pipeline: afterPipeline - beforePipeline, rawAndWire: beforePipeline - atStart + (atEnd - afterPipeline) },
      taskStatus: pipeline.task.status,
      taskSent: pipeline.task.sent,
    };
  } finally {
    await transport.close();
    await handle.close();
  }
}

type ResendResult = {
  database: Target["driver"];
  messages: number;
  seconds: number;
  rate: number;
  allowed: number;
  share: number;
  rateLimited429: number;
  requests: number;
  accepted: number;
  /** From the first request the fake admitted to the last: 2 per second would need (requests / 2 - 1) s. */
  firstToLastRequestSeconds: number | null;
  taskStatus: string;
};

async function measureResend(target: Target, messages: number, config: SendingConfig): Promise<ResendResult> {
  const fake = await startChild({ kind: "resend", requestsPerSecond: RESEND_REQUESTS_PER_SECOND });
  const handle = await target.open();
  const transport = createResendTransport({ apiKey: "re_bench", baseUrl: `http://127.0.0.1:${fake.port}` });
  try {
    log(`resend on ${target.driver}: ${messages.toLocaleString("en")} contacts`);
    const setup = await makeSetup(handle.db, messages);
    log(`resend on ${target.driver}: pipeline against ${RESEND_REQUESTS_PER_SECOND} requests/s`);
    const pipeline = await timed(() => sendPipeline(setup, transport, { ...config, resendRequestsPerSecond: RESEND_REQUESTS_PER_SECOND }));
    const stats = await fake.stats<ResendStats>();
    const allowed = RESEND_REQUESTS_PER_SECOND * transport.maxBatch;
    const rate = pipeline.task.sent / pipeline.seconds;
    log(`resend on ${target.driver}: ${Math.round(rate)} messages/s of ${allowed} (${pipeline.seconds.toFixed(1)} s), ${stats.rateLimited} answered 429`);
    return {
      database: target.driver,
      messages: pipeline.task.sent,
      seconds: round(pipeline.seconds),
      rate: round(rate, 1),
      allowed,
      share: round(rate / allowed, 3),
      rateLimited429: stats.rateLimited,
      requests: stats.requests,
      accepted: stats.accepted,
      firstToLastRequestSeconds: stats.firstAdmittedAt === null || stats.lastAdmittedAt === null ? null : round((stats.lastAdmittedAt - stats.firstAdmittedAt) / 1000),
      taskStatus: pipeline.task.status,
    };
  } finally {
    await transport.close();
    await handle.close();
    await fake.close();
  }
}

function recipientCount(option: string | undefined): number {
  const text = option ?? process.env.BENCH_ROWS;
  if (text === undefined || text === "") return DEFAULT_RECIPIENTS;
  const rows = Number(text.replaceAll("_", ""));
  if (!Number.isSafeInteger(rows) || rows < 100) throw new Error(`--rows / BENCH_ROWS must be a whole number of at least 100 (got "${text}")`);
  return rows;
}

/** Runs `body` with these variables set, as a send engine started from the environment would see them. */
export async function withEnv<T>(values: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  Object.assign(process.env, values);
  try {
    return await body();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** Runs `measure` on a fresh Postgres database, dropped afterwards; or says why there is none. */
export async function onPostgres<T>(serverUrl: string, measure: (target: Target) => Promise<T>): Promise<T | Skipped> {
  const target = await postgresTarget(serverUrl);
  if ("skipped" in target) {
    log(target.skipped);
    return target;
  }
  try {
    return await measure(target);
  } finally {
    await target.drop();
  }
}

export async function onPglite<T>(dir: string, measure: (target: Target) => Promise<T>): Promise<T> {
  const target = pgliteTarget(dir);
  try {
    return await measure(target);
  } finally {
    await target.drop();
  }
}

/** BENCH_SEND_PARTS=pglite,postgres,resend (the default: all three) picks what runs. */
function partsToRun(): Set<string> {
  const known = ["pglite", "postgres", "resend"];
  const parts = (process.env.BENCH_SEND_PARTS ?? known.join(",")).split(",").map((part) => part.trim()).filter(Boolean);
  const unknown = parts.filter((part) => !known.includes(part));
  if (unknown.length > 0) throw new Error(`BENCH_SEND_PARTS: unknown part "${unknown.join('", "')}" (known: ${known.join(", ")})`);
  return new Set(parts);
}

export async function runSendBenchmark(options: { rows?: string }) {
  const recipients = recipientCount(options.rows);
  const parts = partsToRun();
  const serverUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || DEFAULT_SERVER_URL;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-bench-send-"));
  // Secrets and PGlite live in the temporary folder; the in-process runner drives the engine.
  const loadAtStart = os.loadavg()[0]!;
  return withEnv({ FANOUT_DATA_DIR: dir, FANOUT_RUNNER: "local" }, async () => {
    const config = sendingConfig();
    const sink = parts.has("pglite") || parts.has("postgres") ? await startChild({ kind: "smtp" }) : null;
    try {
      const smtpOn = (target: Target) => measureSmtp(target, sink!, recipients, config);
      const pglite = parts.has("pglite") ? await onPglite(dir, smtpOn) : { skipped: "not asked for" };
      const postgres = parts.has("postgres") ? await onPostgres(serverUrl, smtpOn) : { skipped: "not asked for" };
      // Resend is what self-hosted and hosted installations use, so on Postgres; on PGlite when there is none.
      const resendOn = (target: Target) => measureResend(target, Math.min(recipients, RESEND_MESSAGES), config);
      let resend: ResendResult | Skipped = { skipped: "not asked for" };
      if (parts.has("resend")) {
        resend = await onPostgres(serverUrl, resendOn);
        if ("skipped" in resend) resend = await onPglite(dir, resendOn);
      }

      const ran = <T extends object>(result: T | Skipped): T | null => ("skipped" in result ? null : result);
      const [pgliteRan, postgresRan, resendRan] = [ran(pglite), ran(postgres), ran(resend)];
      const allSent = (result: SmtpResult | null) => (result ? result.taskSent === recipients && result.sinkReceived.pipeline === recipients && result.sinkReceived.rawAndWire === 2 * recipients : null);
      const pass = {
        allSent: { pglite: allSent(pgliteRan), postgres: allSent(postgresRan) },
        pipelineToRawPostgres: postgresRan ? postgresRan.ratio >= TARGETS.pipelineToRaw : null,
        // Issue 15: on this 2-core machine, and only meaningful when the load average at start is under 1.
        pipelineRatePostgres: postgresRan ? postgresRan.pipelineRate >= TARGETS.pipelineRatePostgres : null,
        pipelineToWirePostgres: postgresRan ? postgresRan.pipelineToWire >= TARGETS.pipelineToWirePostgres : null,
        pipelineToWirePglite: pgliteRan ? pgliteRan.pipelineToWire >= TARGETS.pipelineToWirePglite : null,
        resendShare: resendRan ? resendRan.share >= TARGETS.resendShareOfAllowed : null,
        resendNo429: resendRan ? resendRan.rateLimited429 === TARGETS.resendRateLimited && resendRan.taskStatus === "completed" : null,
      };
      const all = [pass.allSent.pglite, pass.allSent.postgres, pass.pipelineToRawPostgres, pass.pipelineRatePostgres, pass.pipelineToWirePostgres, pass.pipelineToWirePglite, pass.resendShare, pass.resendNo429].every((value) => value === true);
      return {
        recipients,
        node: process.version,
        cpus: os.cpus().length,
        /** One-minute load average when the run started and ended: other work on the machine moves every rate here. */
        loadAverage: { start: round(loadAtStart), end: round(os.loadavg()[0]!) },
        config: { batchSize: config.batchSize, concurrency: config.concurrency, resendRequestsPerSecond: RESEND_REQUESTS_PER_SECOND },
        pglite,
        postgres,
        resend,
        targets: TARGETS,
        pass: { ...pass, all },
      };
    } finally {
      await sink?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
