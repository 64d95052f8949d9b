/**
 * Issue 12's gateway benchmark (`npm run bench -- gateway [--rows N]`).
 *
 * 10 group-send clients (nodemailer, one connection each, AUTH) in another process
 * (bench/gateway-child.ts) submit N messages in all (default 1,000) of 10 recipients each, a
 * newsletter of about 4 KB, each client one message after another. In the same run, with the same
 * clients, on PGlite and on a fresh Postgres database:
 *
 * 1. raw: a smtp-server in this process that takes AUTH and the message and discards it (half of
 *    the messages before the entrance's run, half after, so a machine that gets busier or quieter
 *    meanwhile weighs on both): the rate the clients, the wire and smtp-server allow;
 * 2. accepted: the SMTP entrance (lib/gateway/entrance.ts) in this process, every message checked
 *    (sender, header, quota) and recorded with its deliveries before its 250. The send runner is not
 *    running meanwhile: a burst is absorbed by the ledger, and what sending costs is the send
 *    benchmark's to measure (on two cores, DKIM-signing ten copies a message would take the CPU the
 *    entrance is measured on);
 * 3. burst delivery: then the in-process send runner (as `npm run gateway` runs it) sends the burst
 *    through the SMTP transport to a real smtp-server relay in the child process; reported are the
 *    copies per second and the time from each message's 250 to each copy's arrival (mostly the
 *    queue the burst made);
 * 4. steady delivery: with the runner running, the clients submit at a pace the engine keeps up with
 *    (STEADY_RATE messages a second in all): the latency from 250 to arrival when nothing waits in line.
 *
 * Goal (issue 12): accepted ≥ 0.7 × raw.
 *
 * CPU per message of each side is reported for the raw and the accepted runs (the clients' process,
 * this process, which holds PGlite on the embedded database, and the Postgres server's processes,
 * read from /proc), and from it `ceilingRatio`: the accepted rate if every core did nothing but
 * this work, against raw. On a machine where client, entrance and database share few cores, the
 * ratio cannot pass that ceiling whatever the latency.
 */
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import type { Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { SMTPServer } from "smtp-server";
import { openDatabase, type Database, type DatabaseHandle } from "@/db/client";
import { createScratchDatabase } from "@/db/scratch";
import { senderDomains } from "@/db/schema";
import { createDepartment } from "@/lib/accounts/departments";
import { systemActor } from "@/lib/access/actor";
import type { Ctx } from "@/lib/access/context";
import { createEntrance, listen } from "@/lib/gateway/entrance";
import { createSmtpAccount } from "@/lib/gateway/smtp-accounts";
import { sendingConfig, type SendingConfig } from "@/lib/sending/config";
import { LocalRunner } from "@/lib/sending/runner";
import { addDomain } from "@/lib/senders/domains";
import { createSender } from "@/lib/senders/senders";
import { createSmtpTransport } from "@/lib/transports";
import { ARTICLES } from "./articles";
import type { ClientsResult, ClientsRun, GatewayChildMessage, SinkArrivals } from "./gateway-child";

const ROOT = path.resolve(import.meta.dirname, "..");
const CHILD = path.join(ROOT, "bench", "gateway-child.ts");
const CLIENTS = 10;
const RECIPIENTS = 10;
const DEFAULT_MESSAGES = 1000;
const DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/test";
const PASSWORD = "bench-client-password";

export const TARGETS = { acceptedToRaw: 0.7 };

const log = (message: string) => console.error(`[bench gateway] ${message}`);
const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/** The newsletter a client submits: about 4 KB of HTML with links. */
const HTML = `<!doctype html><html><body><table width="600">${ARTICLES.map(
  ([title, body], i) => `<tr><td><h2>${title}</h2><p>${body}</p><a href="https://shop.example.com/articles/${i + 1}?utm_source=newsletter">Read more</a></td></tr>`,
).join("")}<tr><td><a href="https://shop.example.com/sale">Shop the sale</a></td></tr></table></body></html>`;

// ---------------------------------------------------------------------------------------------
// The far sides

type Child = { process: ChildProcess; port?: number; ask: <T extends GatewayChildMessage>(message: object) => Promise<T>; close: () => Promise<void> };

async function startChild(role: "clients" | "sink"): Promise<Child> {
  const child = fork(CHILD, [role], { cwd: ROOT, execArgv: ["--conditions=react-server", "--import", "tsx"], stdio: ["ignore", 2, 2, "ipc"] });
  const [ready] = (await Promise.race([
    once(child, "message"),
    once(child, "exit").then(([code]) => {
      throw new Error(`the ${role} child ended (exit code ${code}) before it was ready`);
    }),
  ])) as [GatewayChildMessage];
  if (!("ready" in ready)) throw new Error(`the ${role} child said ${JSON.stringify(ready)} instead of ready`);
  return {
    process: child,
    port: ready.port,
    ask: async <T,>(message: object) => {
      const answer = once(child, "message");
      child.send(message);
      return (await answer)[0] as T;
    },
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      child.send({ type: "close" });
      await exited;
    },
  };
}

/** smtp-server taking AUTH (any credentials) and each message, keeping nothing: what the clients and the wire allow. */
async function startRawServer(maxMessageBytes: number): Promise<{ port: number; close: () => Promise<void> }> {
  const server = new SMTPServer({
    logger: false,
    banner: "raw",
    size: maxMessageBytes,
    disableReverseLookup: true,
    authMethods: ["PLAIN", "LOGIN"],
    allowInsecureAuth: true,
    disabledCommands: ["STARTTLS"],
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username }),
    onData(stream, _session, callback) {
      stream.on("data", () => undefined);
      stream.on("end", () => callback(null, "2.0.0 Accepted"));
    },
  });
  // As the entrance does (replies without Nagle's delay), so the two differ only in the work per message.
  server.server.on("connection", (socket: Socket) => socket.setNoDelay(true));
  server.on("error", () => undefined);
  const port = await listen(server, 0, "127.0.0.1");
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

// ---------------------------------------------------------------------------------------------
// Databases

type Target = { driver: "pglite" | "postgres"; open: () => Promise<DatabaseHandle>; drop: () => Promise<void> };
type Skipped = { skipped: string };

type Setup = { departmentId: string; from: string; user: string };

/** A department without a quota limit, a verified sender domain with its DKIM key, a sender and an SMTP account. */
async function makeSetup(db: Database): Promise<Setup> {
  const ctx: Ctx = { db, actor: systemActor("bench") };
  const department = await createDepartment(ctx, { name: "Bench gateway", quotaAllocated: null });
  const domain = await addDomain(ctx, { domain: "bench-gateway.example.org", departmentId: department.id });
  await db.update(senderDomains).set({ status: "verified", checkedAt: new Date() }).where(eq(senderDomains.id, domain.id));
  const from = "news@bench-gateway.example.org";
  await createSender(ctx, { departmentId: department.id, address: from, name: "Example Shop" });
  const user = "bench-client";
  await createSmtpAccount(ctx, { departmentId: department.id, username: user, password: PASSWORD });
  return { departmentId: department.id, from, user };
}

// ---------------------------------------------------------------------------------------------
// Measurements

type Cpu = { clients: number; server: number; database: number | null };
type Clients = { seconds: number; accepted: number; refused: number; rate: number; firstError: string | null; acceptedAt: Record<string, number>; cpuSeconds: Cpu };

/** CPU seconds used so far by the Postgres server's processes on this machine (null where /proc cannot tell). */
function postgresCpuSeconds(): number | null {
  try {
    const ticks = 100; // USER_HZ on Linux
    let total = 0;
    for (const pid of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        if (fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== "postgres") continue;
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        total += (Number(fields[11]) + Number(fields[12])) / ticks;
      } catch {
        // the process ended meanwhile
      }
    }
    return total;
  } catch {
    return null;
  }
}

async function submit(clients: Child, port: number, setup: Setup, perClient: number, tag: string, intervalMs = 0): Promise<Clients> {
  const run: ClientsRun = { type: "run", port, clients: CLIENTS, messages: perClient, recipients: RECIPIENTS, user: setup.user, pass: PASSWORD, from: setup.from, html: HTML, tag, intervalMs };
  const serverAtStart = process.cpuUsage();
  const databaseAtStart = postgresCpuSeconds();
  const result = await clients.ask<ClientsResult>(run);
  const server = process.cpuUsage(serverAtStart);
  const databaseAtEnd = postgresCpuSeconds();
  const cpuSeconds = { clients: result.cpuSeconds, server: (server.user + server.system) / 1e6, database: databaseAtStart === null || databaseAtEnd === null ? null : databaseAtEnd - databaseAtStart };
  return { ...result, cpuSeconds, rate: result.accepted / result.seconds };
}

/** Milliseconds of CPU per accepted message on each side, over the runs given; the server database's only when it served them. */
function cpuPerMessage(runs: Clients[], withDatabase: boolean): Cpu & { total: number } {
  const messages = runs.reduce((sum, run) => sum + run.accepted, 0);
  const per = (pick: (cpu: Cpu) => number | null) => {
    const values = runs.map((run) => pick(run.cpuSeconds));
    return values.some((value) => value === null) ? null : round((values.reduce<number>((sum, value) => sum + value!, 0) * 1000) / messages, 3);
  };
  const clients = per((cpu) => cpu.clients)!;
  const server = per((cpu) => cpu.server)!;
  const database = withDatabase ? per((cpu) => cpu.database) : null;
  return { clients, server, database, total: round(clients + server + (database ?? 0), 3) };
}

function percentile(sorted: number[], share: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)]!;
}

type Latency = { p50: number; p95: number; max: number; copies: number };

type GatewayResult = {
  messages: number;
  recipientsPerMessage: number;
  clients: number;
  acceptedRate: number;
  rawRate: number;
  ratio: number;
  rawHalvesRate: [number, number];
  /** CPU ms per message: raw (clients, the raw server), accepted (clients, the entrance with PGlite when embedded, the Postgres server). */
  cpuMsPerMessage: { raw: ReturnType<typeof cpuPerMessage>; accepted: ReturnType<typeof cpuPerMessage> };
  /** The accepted rate with every core busy on this work (cores ÷ accepted CPU per message), against raw. */
  ceilingRatio: number;
  acceptedSeconds: number;
  refused: number;
  firstRefusal: string | null;
  /** The burst: from the runner's start until the last copy arrived, and from each 250 to each copy's arrival (ms). */
  burst: { deliverySeconds: number; copiesPerSecond: number; latencyMs: Latency };
  /** Submissions at STEADY_RATE a second while the runner runs: from each 250 to each copy's arrival (ms). */
  steady: { messages: number; ratePerSecond: number; latencyMs: Latency };
};

/** Messages a second in all during the steady part, and how many each client sends then. */
const STEADY_RATE = 5;
const STEADY_PER_CLIENT = 6;

function latencyOf(accepted: Clients, arrivals: SinkArrivals): Latency {
  const times = Object.entries(arrivals.arrivals)
    .filter(([id]) => id in accepted.acceptedAt)
    .flatMap(([id, at]) => at.map((time) => time - accepted.acceptedAt[id]!))
    .sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p95: percentile(times, 0.95), max: times.at(-1) ?? 0, copies: times.length };
}

/** Waits until every copy of every message `accepted` answered 250 has arrived at the relay. */
async function arrived(sink: Child, accepted: Clients): Promise<SinkArrivals> {
  const expected = accepted.accepted * RECIPIENTS;
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    const arrivals = await sink.ask<SinkArrivals>({ type: "arrivals" });
    const copies = Object.entries(arrivals.arrivals).filter(([id]) => id in accepted.acceptedAt).reduce((sum, [, times]) => sum + times.length, 0);
    if (copies >= expected) return arrivals;
    if (Date.now() > deadline) throw new Error(`only ${copies} of ${expected} copies arrived at the relay after 10 min`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function measure(target: Target, clients: Child, sink: Child, messages: number, config: SendingConfig): Promise<GatewayResult> {
  const handle = await target.open();
  const db = handle.db;
  const perClient = Math.ceil(messages / CLIENTS);
  const raw = await startRawServer(25 * 1024 * 1024);
  const transport = createSmtpTransport({ url: `smtp://127.0.0.1:${sink.port}` });
  const entrance = createEntrance(db, { recordingLanes: target.driver === "pglite" ? 1 : 4, logError: (message, error) => log(`${message}: ${error instanceof Error ? error.message : String(error)}`), logInfo: log });
  const runner = new LocalRunner(db, { transport, config, log });
  try {
    const setup = await makeSetup(db);
    const port = await listen(entrance, 0, "127.0.0.1");
    const half = Math.ceil(perClient / 2);
    // Untimed: the clients' and smtp-server's code warms up (the entrance then runs warm too).
    await submit(clients, raw.port, setup, 10, `${target.driver}-warm`);
    log(`${target.driver}: raw smtp-server, ${CLIENTS} clients × ${half} messages`);
    const rawBefore = await submit(clients, raw.port, setup, half, `${target.driver}-raw1`);
    log(`${target.driver}: SMTP entrance, ${CLIENTS} clients × ${perClient} messages of ${RECIPIENTS} recipients`);
    // Untimed, as raw's: the entrance's first login, statements and code paths warm up.
    await submit(clients, port, setup, 1, `${target.driver}-warm-entrance`);
    const accepted = await submit(clients, port, setup, perClient, `${target.driver}-burst`);
    log(`${target.driver}: raw smtp-server again`);
    const rawAfter = await submit(clients, raw.port, setup, half, `${target.driver}-raw2`);
    const rawRate = (rawBefore.accepted + rawAfter.accepted) / (rawBefore.seconds + rawAfter.seconds);
    const cpu = { raw: cpuPerMessage([rawBefore, rawAfter], false), accepted: cpuPerMessage([accepted], target.driver === "postgres") };
    const ceilingRatio = (os.cpus().length * 1000) / cpu.accepted.total / rawRate;
    log(`${target.driver}: entrance ${Math.round(accepted.rate)} messages/s accepted, raw ${Math.round(rawRate)}: ${(accepted.rate / rawRate).toFixed(2)}`);
    log(`${target.driver}: CPU ms per message, raw ${JSON.stringify(cpu.raw)}, accepted ${JSON.stringify(cpu.accepted)}: at most ${ceilingRatio.toFixed(2)} of raw on ${os.cpus().length} cores`);

    log(`${target.driver}: the send runner delivers the burst`);
    const runnerStarted = performance.now();
    runner.start();
    const burstArrivals = await arrived(sink, accepted);
    const deliverySeconds = (performance.now() - runnerStarted) / 1000;
    const burstLatency = latencyOf(accepted, burstArrivals);
    log(`${target.driver}: burst delivered in ${deliverySeconds.toFixed(1)} s (${Math.round(burstLatency.copies / deliverySeconds)} copies/s)`);

    log(`${target.driver}: steady submissions, ${STEADY_RATE} messages/s, while the runner sends`);
    const steady = await submit(clients, port, setup, STEADY_PER_CLIENT, `${target.driver}-steady`, (CLIENTS * 1000) / STEADY_RATE);
    const steadyLatency = latencyOf(steady, await arrived(sink, steady));
    log(`${target.driver}: steady latency p50 ${steadyLatency.p50} ms, p95 ${steadyLatency.p95} ms`);
    return {
      messages: accepted.accepted,
      recipientsPerMessage: RECIPIENTS,
      clients: CLIENTS,
      acceptedRate: Math.round(accepted.rate),
      rawRate: Math.round(rawRate),
      ratio: round(accepted.rate / rawRate, 3),
      rawHalvesRate: [Math.round(rawBefore.rate), Math.round(rawAfter.rate)],
      cpuMsPerMessage: cpu,
      ceilingRatio: round(ceilingRatio, 3),
      acceptedSeconds: round(accepted.seconds),
      refused: accepted.refused + steady.refused,
      firstRefusal: accepted.firstError ?? steady.firstError,
      burst: { deliverySeconds: round(deliverySeconds), copiesPerSecond: Math.round(burstLatency.copies / deliverySeconds), latencyMs: burstLatency },
      steady: { messages: steady.accepted, ratePerSecond: STEADY_RATE, latencyMs: steadyLatency },
    };
  } finally {
    await runner.stop();
    await new Promise<void>((resolve) => entrance.close(() => resolve()));
    await transport.close();
    await raw.close();
    await handle.close();
  }
}

function messageCount(option: string | undefined): number {
  const text = option ?? process.env.BENCH_ROWS;
  if (text === undefined || text === "") return DEFAULT_MESSAGES;
  const count = Number(text.replaceAll("_", ""));
  if (!Number.isSafeInteger(count) || count < CLIENTS * 2) throw new Error(`--rows / BENCH_ROWS must be a whole number of messages, at least ${CLIENTS * 2} (got "${text}")`);
  return count;
}

/** Runs `body` with these variables set, as an entrance started from the environment would see them. */
async function withEnv<T>(values: Record<string, string>, body: () => Promise<T>): Promise<T> {
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

async function onTarget<T>(target: Target | Skipped, run: (target: Target) => Promise<T>): Promise<T | Skipped> {
  if ("skipped" in target) {
    log(target.skipped);
    return target;
  }
  try {
    return await run(target);
  } finally {
    await target.drop();
  }
}

async function postgresTarget(serverUrl: string): Promise<Target | Skipped> {
  try {
    const scratch = await createScratchDatabase(serverUrl, "fanout_bench_gateway");
    return { driver: "postgres", open: () => openDatabase({ driver: "pg", url: scratch.url }), drop: scratch.drop };
  } catch (error) {
    return { skipped: (error as Error).message };
  }
}

export async function runGatewayBenchmark(options: { rows?: string }) {
  const messages = messageCount(options.rows);
  const serverUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || DEFAULT_SERVER_URL;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-bench-gateway-"));
  const loadAtStart = os.loadavg()[0]!;
  return withEnv({ FANOUT_DATA_DIR: dir, FANOUT_RUNNER: "local" }, async () => {
    const config = sendingConfig();
    const clients = await startChild("clients");
    const sink = await startChild("sink");
    try {
      const parts = new Set((process.env.BENCH_GATEWAY_PARTS ?? "pglite,postgres").split(",").map((part) => part.trim()));
      const pgliteDir = path.join(dir, "pglite");
      const pglite = await onTarget(!parts.has("pglite") ? { skipped: "not asked for" } : { driver: "pglite", open: () => openDatabase({ driver: "pglite", dataDir: pgliteDir }), drop: async () => fs.rmSync(pgliteDir, { recursive: true, force: true }) }, (target) =>
        measure(target, clients, sink, messages, config),
      );
      const postgres = await onTarget(!parts.has("postgres") ? { skipped: "not asked for" } : await postgresTarget(serverUrl), (target) => measure(target, clients, sink, messages, config));
      const ran = (result: GatewayResult | Skipped) => ("skipped" in result ? null : result);
      const allDelivered = (result: GatewayResult | null) =>
        result ? result.refused === 0 && result.burst.latencyMs.copies === result.messages * RECIPIENTS && result.steady.latencyMs.copies === result.steady.messages * RECIPIENTS : null;
      const pass = {
        allDelivered: { pglite: allDelivered(ran(pglite)), postgres: allDelivered(ran(postgres)) },
        acceptedToRaw: { pglite: ran(pglite) ? ran(pglite)!.ratio >= TARGETS.acceptedToRaw : null, postgres: ran(postgres) ? ran(postgres)!.ratio >= TARGETS.acceptedToRaw : null },
      };
      return {
        messages,
        node: process.version,
        cpus: os.cpus().length,
        loadAverage: { start: round(loadAtStart), end: round(os.loadavg()[0]!) },
        config: { batchSize: config.batchSize, concurrency: config.concurrency },
        pglite,
        postgres,
        targets: TARGETS,
        pass: { ...pass, all: [pass.allDelivered.pglite, pass.allDelivered.postgres, pass.acceptedToRaw.pglite, pass.acceptedToRaw.postgres].every((value) => value !== false) },
      };
    } finally {
      await clients.close();
      await sink.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
