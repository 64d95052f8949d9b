import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, queryRows, type Database, type DatabaseHandle } from "@/db/client";
import { webhookMessages } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import { getSecrets } from "@/lib/config/secrets";
import { subscribe } from "@/lib/pools/subscribe";
import { deliverDueWebhooks } from "@/lib/webhooks/deliver";
import { createWebhookEndpoint } from "@/lib/webhooks/endpoints";
import { scratchDatabase, seedEmbeddedDataDir } from "../helpers/database-templates";
import { makeSendingSetup } from "../helpers/sending";
import { startWebhookReceiver } from "../helpers/webhook-receiver";

/**
 * Issue 14, "Done means" 3: a SIGKILL mid-delivery loses no event. A child process delivers the
 * outbox to a receiver that holds the 11th request open; the child is killed while it waits for
 * the answer. After the lease runs out (the clock is stepped, not waited for) the survivor delivers
 * the rest: every event arrives, the one in flight at the kill possibly twice with the same
 * webhook-id, and every outbox row ends delivered.
 */
const ROOT = path.resolve(__dirname, "../..");
const CHILD = path.join(ROOT, "tests", "helpers", "webhook-child.ts");
const EVENTS = 40;
const TARGET = process.env.TEST_DATABASE_URL ? "postgres" : "pglite";

describe(`webhook delivery killed with SIGKILL in a child process [${TARGET}]`, { timeout: 120_000 }, () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("loses no event: every one arrives after the kill and the outbox ends delivered", async () => {
    // One database for both processes: a scratch one on the server, or an embedded folder each owns in turn.
    let childEnv: Record<string, string>;
    let open: () => Promise<DatabaseHandle>;
    if (process.env.TEST_DATABASE_URL) {
      const scratch = await scratchDatabase(process.env.TEST_DATABASE_URL, "fanout_webhook_crash");
      cleanups.push(() => scratch.drop());
      childEnv = { DATABASE_URL: scratch.url };
      open = () => openDatabase({ url: scratch.url, driver: "pg" });
    } else {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-webhook-crash-"));
      seedEmbeddedDataDir(dataDir);
      cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
      childEnv = { FANOUT_DATA_DIR: dataDir };
      open = () => openDatabase({ driver: "pglite", dataDir });
    }
    const receiver = await startWebhookReceiver();
    cleanups.push(() => receiver.close());
    const savedAllow = process.env.FANOUT_WEBHOOKS_ALLOW_PRIVATE;
    process.env.FANOUT_WEBHOOKS_ALLOW_PRIVATE = "true";
    cleanups.push(() => {
      if (savedAllow === undefined) delete process.env.FANOUT_WEBHOOKS_ALLOW_PRIVATE;
      else process.env.FANOUT_WEBHOOKS_ALLOW_PRIVATE = savedAllow;
    });

    let handle = await open();
    const setup = await makeSendingSetup(handle.db, { count: 1 });
    const endpoint = await createWebhookEndpoint(setup.ctx, { url: receiver.url, events: ["subscribed"], departmentId: setup.departmentId });
    const emails = Array.from({ length: EVENTS }, (_, index) => `person-${index}@crash.test`);
    for (const email of emails) await subscribe({ db: handle.db, actor: systemActor("test") }, { poolId: setup.poolId, email });
    await handle.close();

    receiver.answer((index) => (index === 10 ? { hang: true } : { status: 200 }));
    // The child opens the signing secrets sealed here: the installation's AUTH_SECRET is shared, as between a server's processes.
    const env: Record<string, string | undefined> = { ...process.env, ...childEnv, FANOUT_WEBHOOKS_ALLOW_PRIVATE: "true", AUTH_SECRET: getSecrets().authSecret };
    for (const name of ["NODE_OPTIONS", "VITEST", "VITEST_POOL_ID", "VITEST_WORKER_ID", "INNGEST_EVENT_KEY", "INNGEST_DEV"]) delete env[name];
    if (!childEnv.DATABASE_URL) delete env.DATABASE_URL;
    const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", CHILD], { cwd: ROOT, env: env as NodeJS.ProcessEnv, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.stdin.write("go\n");
    await receiver.waitFor(11, 60_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${output}`);
    });
    child.kill("SIGKILL");
    await exited;

    handle = await open();
    cleanups.push(() => handle.close());
    const db: Database = handle.db;
    const inFlight = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from webhook_messages where status = 'pending' and lease_until is not null`);
    expect(inFlight[0]!.n).toBeGreaterThan(0);
    receiver.answer(() => ({ status: 200 }));
    // The survivor: leases of the dead process are free a minute on.
    const later = new Date(Date.now() + 2 * 60_000);
    while ((await deliverDueWebhooks(db, { now: later })).taken > 0);

    const rows = await db.select({ status: webhookMessages.status, attempts: webhookMessages.attempts }).from(webhookMessages).where(eq(webhookMessages.endpointId, endpoint.id));
    expect(rows).toHaveLength(EVENTS);
    expect(rows.every((row) => row.status === "delivered")).toBe(true);
    const heard = new Set(receiver.received.map((request) => (JSON.parse(request.body) as { data: { email: string } }).data.email));
    expect(emails.filter((email) => !heard.has(email))).toEqual([]);
    // Repeats share their webhook-id (a receiver drops them) and are bounded by what was in flight.
    const ids = receiver.received.map((request) => request.headers["webhook-id"]);
    expect(new Set(ids).size).toBe(EVENTS);
    expect(ids.length - EVENTS).toBeLessThanOrEqual(50);
  });
});
