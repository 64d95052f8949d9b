import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryRows, type Database } from "@/db/client";
import { createTask } from "@/lib/sending/tasks";
import { startFakeResend, type FakeResend } from "../helpers/fake-resend";
import { makeSendingSetup, taskInput, type SendingSetup } from "../helpers/sending";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";
import { children, sharedDatabase, type Shared } from "../helpers/crash";
import { crashAndRecover as crashAndRecoverTask, departmentQuota, tally, type CrashRun, type Quota } from "../helpers/crash-run";

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

async function sentInRollups(db: Database, departmentId: string): Promise<number> {
  const [row] = await queryRows<{ sent: number }>(db, sql`select coalesce(sum(sent), 0)::int as sent from delivery_daily where department_id = ${departmentId}`);
  return row!.sent;
}

/** The 5,000-recipient mail task of a setup, through crashAndRecover with this file's pace. */
async function crashAndRecover(shared: Shared, setup: SendingSetup, transportEnv: Record<string, string>, progress: () => number): Promise<CrashRun> {
  return crashAndRecoverTask(shared, (db) => createTask({ ...setup.ctx, db }, taskInput(setup)), transportEnv, progress, { batchSize: BATCH_SIZE, leaseSeconds: LEASE_SECONDS, kills: KILLS });
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
