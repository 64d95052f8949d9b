import { sql } from "drizzle-orm";
import { queryRows, type Database } from "@/db/client";
import { sleep, startChild, type Child, type Shared } from "./crash";

/*
 * A task sent by engine children killed with SIGKILL at random moments, then finished by one more
 * (tests/db/sending-crash.test.ts for mail, tests/db/sms-crash.test.ts for SMS).
 */

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

export type CrashRun = { taskId: string; kills: number; killedAt: number[]; seconds: number };
export type CrashPace = { batchSize: number; leaseSeconds: number; kills: number };

/**
 * Makes the task (`create`, on this process's connection), then starts the engine in a child and
 * SIGKILLs it at a random moment after it has sent some messages, `kills` times; a last child runs
 * until the task has ended (re-queueing what the killed ones held once their leases run out).
 */
export async function crashAndRecover(
  shared: Shared,
  create: (db: Database) => Promise<{ id: string }>,
  transportEnv: Record<string, string>,
  progress: () => number,
  pace: CrashPace,
): Promise<CrashRun> {
  const started = Date.now();
  const task = await create(await shared.connect());
  await shared.release();

  const env = {
    ...shared.childEnv,
    ...transportEnv,
    FANOUT_RUNNER: "local",
    FANOUT_BATCH_SIZE: String(pace.batchSize),
    FANOUT_LEASE_SECONDS: String(pace.leaseSeconds),
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
  for (let kill = 0; kill < pace.kills; kill++) {
    current.go();
    const upcoming = startChild(CHILD, env, kill + 1 < pace.kills ? ["run"] : ["finish", task.id]);
    try {
      // Within the next few batches, and a little later still, so kills land at every stage:
      // mid-transfer, between the transport's answer and the record, in a claim or a record.
      await waitForProgress(current, progress, progress() + randomInt(1, 4 * pace.batchSize));
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
export function tally(addresses: string[]) {
  const counts = new Map<string, number>();
  for (const address of addresses) counts.set(address.toLowerCase(), (counts.get(address.toLowerCase()) ?? 0) + 1);
  return counts;
}

export type Quota = { used: number; reserved: number };

export async function departmentQuota(db: Database, departmentId: string): Promise<Quota> {
  const [row] = await queryRows<{ quota_used: string | number; quota_reserved: string | number }>(db, sql`select quota_used, quota_reserved from departments where id = ${departmentId}`);
  return { used: Number(row!.quota_used), reserved: Number(row!.quota_reserved) };
}
