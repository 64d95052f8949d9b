/**
 * Webhook events delivered per second to a loopback receiver (issue 14, "Done means" 4, second half).
 * `runWebhookEventsBenchmark` is called from `npm run bench -- messages` (bench/messages.ts), and
 * runs alone as `npm run bench -- webhooks [--rows N]`.
 *
 * On each database (embedded PGlite in a temporary folder; the Postgres server at
 * BENCH_DATABASE_URL or TEST_DATABASE_URL when one answers, on a scratch database): one department
 * with one endpoint subscribed to `sent`, N events (default 5,000) written to the outbox the way the
 * send engine writes them (emitWebhookEvents, 500 per transaction), then the product's in-process
 * WebhookRunner posts them, signed, to a node http server on 127.0.0.1 answering 200. Reported: the
 * outbox write rate, the delivery rate (first post to last answer) and the check that every event
 * arrived once.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { openDatabase, queryRows, type Database } from "@/db/client";
import { createScratchDatabase } from "@/db/scratch";
import { sql } from "drizzle-orm";
import { systemActor } from "@/lib/access/actor";
import { createDepartment } from "@/lib/accounts/departments";
import { emitWebhookEvents } from "@/lib/webhooks/emit";
import { createWebhookEndpoint } from "@/lib/webhooks/endpoints";
import { WebhookRunner } from "@/lib/webhooks/runner";
import { startWebhookReceiver } from "../tests/helpers/webhook-receiver";

const DEFAULT_EVENTS = 5_000;
const WRITE_CHUNK = 500;
const DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/test";

const log = (message: string) => console.error(`[bench webhooks] ${message}`);
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

export type WebhookEventsResult = { database: "pglite" | "postgres"; events: number; writtenPerSecond: number; deliveredPerSecond: number; seconds: number; allArrivedOnce: boolean };

/** Events written to the outbox for one department's endpoint, then delivered by the runner to a loopback receiver. Needs FANOUT_WEBHOOKS_ALLOW_PRIVATE=true. */
export async function measureWebhookEvents(db: Database, database: WebhookEventsResult["database"], events = DEFAULT_EVENTS): Promise<WebhookEventsResult> {
  const receiver = await startWebhookReceiver();
  try {
    const ctx = { db, actor: systemActor("bench") };
    const department = await createDepartment(ctx, { name: `bench webhooks ${Date.now()}`, quotaAllocated: null });
    await createWebhookEndpoint(ctx, { url: receiver.url, events: ["sent"], departmentId: department.id });
    const writeStarted = performance.now();
    for (let start = 0; start < events; start += WRITE_CHUNK) {
      const items = Array.from({ length: Math.min(WRITE_CHUNK, events - start) }, (_, index) => ({ deliveryId: start + index + 1, taskId: null, email: `person-${start + index}@bench.test` }));
      await db.transaction((tx) => emitWebhookEvents(tx, department.id, "sent", items));
    }
    const writeSeconds = (performance.now() - writeStarted) / 1000;
    log(`${database}: ${events} events in the outbox in ${round(writeSeconds, 2)} s; delivering`);

    const runner = new WebhookRunner(db, { tickMs: 10 });
    const started = performance.now();
    runner.start();
    await runner.tick();
    await receiver.waitFor(events, 600_000);
    const deliverSeconds = (performance.now() - started) / 1000;
    await runner.stop();
    const [left] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from webhook_messages where status <> 'delivered'`);
    const ids = new Set(receiver.received.map((request) => request.headers["webhook-id"]));
    const result = {
      database,
      events,
      writtenPerSecond: Math.round(events / writeSeconds),
      deliveredPerSecond: Math.round(events / deliverSeconds),
      seconds: round(deliverSeconds, 2),
      allArrivedOnce: ids.size === events && receiver.received.length === events && left!.n === 0,
    };
    log(`${database}: ${JSON.stringify(result)}`);
    return result;
  } finally {
    await receiver.close();
  }
}

export async function runWebhookEventsBenchmark(options: { rows?: string } = {}): Promise<{ results: WebhookEventsResult[] }> {
  const events = options.rows ? Number(options.rows.replaceAll("_", "")) : DEFAULT_EVENTS;
  if (!Number.isSafeInteger(events) || events < 1) throw new Error(`--rows must be a whole number of events (got "${options.rows}")`);
  const saved = { dataDir: process.env.FANOUT_DATA_DIR, allow: process.env.FANOUT_WEBHOOKS_ALLOW_PRIVATE };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-bench-webhooks-"));
  // The receiver listens on loopback, which only this setting lets a webhook reach.
  process.env.FANOUT_DATA_DIR = dataDir;
  process.env.FANOUT_WEBHOOKS_ALLOW_PRIVATE = "true";
  const results: WebhookEventsResult[] = [];
  try {
    const embedded = await openDatabase({ driver: "pglite", dataDir: path.join(dataDir, "db") });
    try {
      results.push(await measureWebhookEvents(embedded.db, "pglite", events));
    } finally {
      await embedded.close();
    }
    const serverUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || DEFAULT_SERVER_URL;
    let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
    try {
      scratch = await createScratchDatabase(serverUrl, "fanout_bench_webhooks");
    } catch (error) {
      log(`no Postgres at ${serverUrl} (${(error as Error).message}); embedded only`);
    }
    if (scratch) {
      const server = await openDatabase({ driver: "pg", url: scratch.url });
      try {
        results.push(await measureWebhookEvents(server.db, "postgres", events));
      } finally {
        await server.close();
        await scratch.drop();
      }
    }
  } finally {
    for (const [name, value] of [
      ["FANOUT_DATA_DIR", saved.dataDir],
      ["FANOUT_WEBHOOKS_ALLOW_PRIVATE", saved.allow],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return { results };
}
