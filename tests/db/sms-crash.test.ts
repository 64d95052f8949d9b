import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { queryRows } from "@/db/client";
import { createTask } from "@/lib/sending/tasks";
import { children, sharedDatabase, type Shared } from "../helpers/crash";
import { crashAndRecover, departmentQuota, tally } from "../helpers/crash-run";
import { startFakeTwilio, type FakeTwilio } from "../helpers/fake-twilio";
import { expectedSms, makeSmsSetup, smsTaskInput, TWILIO_ACCOUNT, twilioEnv, type SmsSetup } from "../helpers/sms-task";

/**
 * Issue 21, "Done means" 1: an SMS task survives SIGKILL mid-task like e-mail does. A child runs
 * the engine (tests/helpers/engine-child.ts, its SMS channel configured from the environment as
 * the server's is) on 1,000 numbers and is killed at random moments five times; a last child
 * finishes. Every number receives its text; the ledger, quota (by segments) and rollups count
 * each recipient once.
 *
 * Not "exactly once" on the wire: Twilio's and Aliyun's send APIs take no idempotency key (decision
 * 0085), so a batch whose requests left before the kill and whose answers were never recorded is
 * sent again once its lease ends, as with SMTP: at most batch size × kills repeats. One batch is in
 * flight per process (FANOUT_SEND_CONCURRENCY=1), so that bound holds.
 */

const RECIPIENTS = 1000;
const BATCH_SIZE = 20;
const KILLS = 5;
const LEASE_SECONDS = 8;
const TARGET = process.env.TEST_DATABASE_URL ? "postgres" : "pglite";

describe(`SMS task killed with SIGKILL in a child process [${TARGET}]`, { timeout: 150_000 }, () => {
  let shared: Shared;
  let setup: SmsSetup;
  let twilio: FakeTwilio;

  beforeAll(async () => {
    twilio = await startFakeTwilio(TWILIO_ACCOUNT);
    shared = await sharedDatabase("fanout_sms_crash");
    setup = await makeSmsSetup(await shared.connect(), { count: RECIPIENTS, quota: 2 * RECIPIENTS });
    await shared.release();
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    for (const child of [...children]) await child.kill();
    await shared.release();
  });
  afterAll(async () => {
    await shared?.drop();
    await twilio?.close();
  });

  it("after five kills every number received its text, no more than batch size × kills twice, and quota is charged 2 segments each once", async () => {
    const env = twilioEnv(twilio.url);
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    const run = await crashAndRecover(shared, (db) => createTask({ ...setup.ctx, db }, smsTaskInput(setup)), { ...env, FANOUT_SEND_CONCURRENCY: "1" }, () => twilio.sent.length, {
      batchSize: BATCH_SIZE,
      leaseSeconds: LEASE_SECONDS,
      kills: KILLS,
    });
    const received = tally(twilio.sent.map((message) => message.to));
    const repeats = twilio.sent.length - received.size;
    console.log(
      `[crash test, SMS, ${shared.name}] ${run.kills} kills (after ${run.killedAt.join(", ")} texts), ${twilio.sent.length} texts for ${received.size} numbers: ` +
        `${repeats} received a second time (bound: batch size ${BATCH_SIZE} × ${run.kills} kills = ${BATCH_SIZE * run.kills}), ${run.seconds} s`,
    );
    expect(run.kills).toBe(KILLS);
    expect(new Set(received.keys())).toEqual(new Set(setup.phones));
    expect(repeats).toBeLessThanOrEqual(BATCH_SIZE * run.kills);
    expect(twilio.sent.filter((message) => message.body !== expectedSms(setup, message.to))).toEqual([]);

    const db = await shared.connect();
    const [task] = await queryRows<{ status: string; total: number; queued: number; sent: number; failed: number; reserved: number }>(
      db,
      sql`select status, total, queued, sent, failed, reserved from tasks where id = ${run.taskId}`,
    );
    expect(task).toEqual({ status: "completed", total: RECIPIENTS, queued: 0, sent: RECIPIENTS, failed: 0, reserved: 0 });
    const rows = await queryRows<{ status: string; segments: number; n: number }>(db, sql`select status, segments, count(*)::int as n from deliveries where task_id = ${run.taskId} group by status, segments`);
    expect(rows).toEqual([{ status: "sent", segments: 2, n: RECIPIENTS }]);
    // Quota is used once per recipient, 2 segments each, however often its batch went out.
    expect(await departmentQuota(db, setup.departmentId)).toEqual({ used: 2 * RECIPIENTS, reserved: 0 });
    const [rollup] = await queryRows<{ sent: number }>(db, sql`select coalesce(sum(sent), 0)::int as sent from delivery_daily where department_id = ${setup.departmentId}`);
    expect(rollup!.sent).toBe(RECIPIENTS);
  });
});
