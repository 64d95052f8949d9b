import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryRows, type Database } from "@/db/client";
import { createTask } from "@/lib/sending/tasks";
import { startFakeResend, type FakeResend } from "../helpers/fake-resend";
import { makeSendingSetup, taskInput, type SendingSetup } from "../helpers/sending";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";
import { children, sharedDatabase, sleep, startChild, type Child, type Shared } from "../helpers/crash";

/**
 * Issue 5, "Done means" 3: a child process runs the engine on 5,000 recipients and is killed
 * with SIGKILL at random moments at least five times; after recovery every recipient was
 * received at least once, at most batch size × kills messages were received a second time on
 * SMTP, and none on Resend (against the fake, which replays a repeated idempotency key).
 *
 * The child (tests/helpers/engine-child.ts) shares the database with this process: a fresh
 * database on the server at TEST_DATABASE_URL when that is set (as in CI), else an embedded
 * PGlite folder that each child owns in turn (this process lets go of it while children run),
 * so there a kill also kills the database's owner mid-write, as a crash of the embedded server
 * would. One target per run keeps the file near a minute; each kill costs a process start.
 */

const RECIPIENTS = 5000;
const BATCH_SIZE = 100;
const KILLS = 5;
/**
 * Long enough that no batch outlives its lease on a busy machine: a lease that runs out while
 * its batch is still being sent has the live engine send the batch again, which is not what is
 * measured here. A killed child's batch waits this long before it is re-queued.
 */
const LEASE_SECONDS = 8;
const CHILD = "tests/helpers/engine-child.ts";

const randomInt = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

/** Waits until `progress()` reaches `count`; fails when the child exits first or it takes a minute. */
async function waitForProgress(child: Child, progress: () => number, count: number) {
  let exited = false;
  void child.exited.then(() => (exited = true));
  const deadline = Date.now() + 60_000;
  while (progress() < count) {
    if (exited) throw new Error(`The engine child exited before ${count} messages had arrived (${progress()} had):\n${child.output()}`);
    if (Date.now() > deadline) throw new Error(`${count} messages had not arrived after 60 s (${progress()} had):\n${child.output()}`);
    await sleep(2);
  }
}

type CrashRun = { taskId: string; kills: number; killedAt: number[]; seconds: number };

/**
 * Makes a task for the 5,000 recipients, then starts the engine in a child and SIGKILLs it at a
 * random moment after it has sent some messages, KILLS times; a last child runs until the task
 * has ended (re-queueing what the killed ones held once their leases run out).
 */
async function crashAndRecover(shared: Shared, setup: SendingSetup, transportEnv: Record<string, string>, progress: () => number): Promise<CrashRun> {
  const started = Date.now();
  const task = await createTask({ ...setup.ctx, db: await shared.connect() }, taskInput(setup));
  await shared.release();

  const env = {
    ...shared.childEnv,
    ...transportEnv,
    FANOUT_RUNNER: "local",
    FANOUT_BATCH_SIZE: String(BATCH_SIZE),
    FANOUT_LEASE_SECONDS: String(LEASE_SECONDS),
    FANOUT_RUNNER_TICK_MS: "200",
    FANOUT_RETRY_BASE_SECONDS: "1",
    // Signed links in the messages must come out the same on a re-send (Resend compares bodies).
    FANOUT_TOKEN_SECRET: "crash-test-token-secret",
    AUTH_SECRET: "crash-test-auth-secret",
  };
  const killedAt: number[] = [];
  // Each child is started while the one before still runs and told to go once that one is
  // killed, so a kill waits for no process start (and at most one engine runs at a time).
  let current = startChild(CHILD, env, ["run"]);
  for (let kill = 0; kill < KILLS; kill++) {
    current.go();
    const upcoming = startChild(CHILD, env, kill + 1 < KILLS ? ["run"] : ["finish", task.id]);
    try {
      // Within the next few batches, and a little later still, so kills land at every stage:
      // mid-transfer, between the transport's answer and the record, in a claim or a record.
      await waitForProgress(current, progress, progress() + randomInt(1, 4 * BATCH_SIZE));
      await sleep(randomInt(0, 80));
    } finally {
      await current.kill();
    }
    killedAt.push(progress());
    current = upcoming;
  }
  current.go();
  try {
    const code = await Promise.race([current.exited, sleep(90_000).then(() => "still running after 90 s")]);
    if (code !== 0) throw new Error(`The last engine child ended with ${code}:\n${current.output()}`);
  } finally {
    await current.kill();
  }
  return { taskId: task.id, kills: killedAt.length, killedAt, seconds: Math.round((Date.now() - started) / 1000) };
}

/** Per address (lower-cased), how many times it was received. */
function tally(addresses: string[]) {
  const counts = new Map<string, number>();
  for (const address of addresses) counts.set(address.toLowerCase(), (counts.get(address.toLowerCase()) ?? 0) + 1);
  return counts;
}

type Quota = { used: number; reserved: number };

async function departmentQuota(db: Database, departmentId: string): Promise<Quota> {
  const [row] = await queryRows<{ quota_used: string | number; quota_reserved: string | number }>(db, sql`select quota_used, quota_reserved from departments where id = ${departmentId}`);
  return { used: Number(row!.quota_used), reserved: Number(row!.quota_reserved) };
}

async function sentInRollups(db: Database, departmentId: string): Promise<number> {
  const [row] = await queryRows<{ sent: number }>(db, sql`select coalesce(sum(sent), 0)::int as sent from delivery_daily where department_id = ${departmentId}`);
  return row!.sent;
}

/** Every recipient received and nothing else; the task, its ledger, the quota and the rollups count each recipient once. */
async function expectRecovered(db: Database, setup: SendingSetup, run: CrashRun, received: Map<string, number>, before: { quota: Quota; rollups: number }) {
  expect(setup.emails.filter((email) => !received.has(email.toLowerCase()))).toEqual([]);
  const expected = new Set(setup.emails.map((email) => email.toLowerCase()));
  expect([...received.keys()].filter((address) => !expected.has(address))).toEqual([]);

  const [task] = await queryRows<{ status: string; total: number; queued: number; sent: number; failed: number; suppressed: number; reserved: number }>(
    db,
    sql`select status, total, queued, sent, failed, suppressed, reserved from tasks where id = ${run.taskId}`,
  );
  expect(task).toEqual({ status: "completed", total: RECIPIENTS, queued: 0, sent: RECIPIENTS, failed: 0, suppressed: 0, reserved: 0 });
  const statuses = await queryRows<{ status: string; n: number }>(db, sql`select status, count(*)::int as n from deliveries where task_id = ${run.taskId} group by status`);
  expect(statuses).toEqual([{ status: "sent", n: RECIPIENTS }]);
  // Quota is used once per recipient however often its batch went out, and nothing stays reserved.
  expect(await departmentQuota(db, setup.departmentId)).toEqual({ used: before.quota.used + RECIPIENTS, reserved: 0 });
  expect((await sentInRollups(db, setup.departmentId)) - before.rollups).toBe(RECIPIENTS);
}

const TARGET = process.env.TEST_DATABASE_URL ? "postgres" : "pglite";

describe(`send engine killed with SIGKILL in a child process, on Postgres when TEST_DATABASE_URL is set, else on embedded PGlite [${TARGET}]`, { timeout: 150_000 }, () => {
  let shared: Shared;
  let setup: SendingSetup;
  let before: { quota: Quota; rollups: number };

  beforeAll(async () => {
    shared = await sharedDatabase("fanout_crash");
    // One pool of 5,000 for both tests, each sending it in a task of its own.
    setup = await makeSendingSetup(await shared.connect(), { count: RECIPIENTS, quota: 2 * RECIPIENTS });
    await shared.release();
  });
  beforeEach(async () => {
    const db = await shared.connect();
    before = { quota: await departmentQuota(db, setup.departmentId), rollups: await sentInRollups(db, setup.departmentId) };
  });
  afterEach(async () => {
    for (const child of [...children]) await child.kill();
    await shared.release();
  });
  afterAll(async () => {
    await shared?.drop();
  });

  it("SMTP: after five kills every recipient was received, no more than batch size × kills twice, and everything is counted once", async () => {
    const sink: SmtpSink = await startSmtpSink();
    try {
      // One batch in flight per process, so a kill can cost at most one batch of repeats.
      const run = await crashAndRecover(shared, setup, { SMTP_URL: sink.url, FANOUT_SEND_CONCURRENCY: "1", ENGINE_CHILD_SMTP_CONNECTIONS: "20" }, () => sink.messages.length);
      const received = tally(sink.messages.map((message) => message.envelope.rcptTo[0]!));
      const repeats = sink.messages.length - received.size;
      console.log(
        `[crash test, SMTP, ${shared.name}] ${run.kills} kills (after ${run.killedAt.join(", ")} messages), ${sink.messages.length} messages for ${received.size} recipients: ` +
          `${repeats} received a second time (bound: batch size ${BATCH_SIZE} × ${run.kills} kills = ${BATCH_SIZE * run.kills}), ${run.seconds} s`,
      );
      expect(run.kills).toBeGreaterThanOrEqual(5);
      expect(repeats).toBeLessThanOrEqual(BATCH_SIZE * run.kills);
      await expectRecovered(await shared.connect(), setup, run, received, before);
    } finally {
      await sink.close();
    }
  });

  it("Resend: after five kills every recipient was received exactly once (a re-sent batch is a replay), and everything is counted once", async () => {
    const resend: FakeResend = await startFakeResend({ apiKey: "re_crash_test" });
    try {
      const run = await crashAndRecover(
        shared,
        setup,
        { RESEND_API_KEY: "re_crash_test", RESEND_BASE_URL: resend.url, RESEND_REQUESTS_PER_SECOND: "0", FANOUT_SEND_CONCURRENCY: "4" },
        () => resend.emails.length,
      );
      const received = tally(resend.emails.map((email) => String(([] as unknown[]).concat(email.email.to)[0])));
      const repeats = resend.emails.length - received.size;
      const requestSizes = resend.requests.filter((request) => request.path === "/emails/batch").map((request) => (request.body as unknown[]).length);
      console.log(
        `[crash test, Resend, ${shared.name}] ${run.kills} kills (after ${run.killedAt.join(", ")} emails), ${requestSizes.length} batch requests ` +
          `(${requestSizes.filter((size) => size !== BATCH_SIZE).length} not a whole batch), ${resend.counters.replayed} answered as replays, ` +
          `${resend.emails.length} emails created for ${received.size} recipients: ${repeats} duplicates, ${run.seconds} s`,
      );
      expect(run.kills).toBeGreaterThanOrEqual(5);
      expect(repeats).toBe(0);
      // Why none: every request carried one whole batch, so a batch sent again after a kill has
      // the same recipients, hence the same idempotency key. Two workers claiming parts of one
      // batch would give a re-sent batch other keys, and Resend would send it again.
      expect(requestSizes.filter((size) => size !== BATCH_SIZE)).toEqual([]);
      const db = await shared.connect();
      await expectRecovered(db, setup, run, received, before);
      // The ledger holds the ids Resend created: a replay answers with the first answer's ids.
      const providerIds = await queryRows<{ provider_id: string }>(db, sql`select provider_id from deliveries where task_id = ${run.taskId}`);
      expect(new Set(providerIds.map((row) => row.provider_id))).toEqual(new Set(resend.emails.map((email) => email.id)));
    } finally {
      await resend.close();
    }
  });
});
