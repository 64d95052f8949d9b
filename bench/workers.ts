/**
 * Issue 15, Done-means 2, at its size (`npm run bench -- workers [--contacts N]`, default 50,000):
 * two `npm run worker` processes and the web server's boot share one task on one Postgres, sending
 * to a real SMTP server on loopback; when a quarter has arrived, one worker holding batches is
 * killed with SIGKILL. Reported: every recipient received (missing, and received twice beyond what
 * the victim held: both must be 0), each runner's share, how long after the kill the victim's
 * batches had all arrived (goal ≤ 15 s, with the default heartbeat and a 300 s lease), and the
 * task's messages a second. The same runners as tests/db/workers.test.ts (4,000 there).
 */
import { sql } from "drizzle-orm";
import { queryRows } from "@/db/client";
import { createTask } from "@/lib/sending/tasks";
import { children, sharedDatabase } from "../tests/helpers/crash";
import { makeSendingSetup, taskInput } from "../tests/helpers/sending";
import { startSmtpSink } from "../tests/helpers/smtp-sink";
import { killMidTask, lastArrivals, receivedCounts, sentBy, startRunners, waitForTask } from "../tests/helpers/worker-runners";

const DEFAULT_RECIPIENTS = 50_000;
const DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/test";
export const TARGETS = { missing: 0, duplicatesBeyondHeld: 0, resentWithinMs: 15_000 };

const log = (message: string) => console.error(`[bench workers] ${message}`);

function recipientsOf(option: string | undefined): number {
  if (option === undefined || option === "") return DEFAULT_RECIPIENTS;
  const value = Number(option);
  if (!Number.isInteger(value) || value < 1000) throw new Error(`--contacts is the task's recipients for this benchmark, a whole number of at least 1000 (got "${option}")`);
  return value;
}

export async function runWorkersBenchmark(options: { contacts?: string }) {
  const recipients = recipientsOf(options.contacts);
  process.env.TEST_DATABASE_URL ||= process.env.BENCH_DATABASE_URL || DEFAULT_SERVER_URL;
  const shared = await sharedDatabase("fanout_bench_workers");
  const sink = await startSmtpSink();
  try {
    const db = await shared.connect();
    log(`seeding ${recipients} contacts`);
    const setup = await makeSendingSetup(db, { count: recipients, quota: 2 * recipients });
    const runners = await startRunners(shared, db, sink);
    const startedAt = Date.now();
    const task = await createTask(setup.ctx, taskInput(setup));
    const victim = [...runners].find(([, runner]) => runner.kind === "worker")!;
    const { killedAt, arrivedBeforeKill, inFlight } = await killMidTask(db, sink, task.id, victim, recipients);
    // The killed worker's row goes with the takeover: its share is read at the kill.
    const sharesAtKill = await sentBy(db);
    log(`killed a worker holding ${inFlight.length} deliveries after ${arrivedBeforeKill} arrivals`);
    await waitForTask(db, task.id, runners, 30 * 60_000);
    const seconds = (Date.now() - startedAt) / 1000;

    const counts = receivedCounts(sink);
    const held = new Set(inFlight.map((row) => row.email.toLowerCase()));
    const last = lastArrivals(sink);
    const shares = await sentBy(db);
    const [row] = await queryRows<{ status: string; sent: number }>(db, sql`select status, sent from tasks where id = ${task.id}`);
    const result = {
      recipients,
      taskStatus: row?.status,
      taskSent: row?.sent,
      missing: setup.emails.filter((email) => !counts.has(email.toLowerCase())).length,
      receivedTwice: [...counts.values()].filter((count) => count > 1).length,
      duplicatesBeyondHeld: [...counts].filter(([address, count]) => count > 1 && !held.has(address)).length,
      heldByVictim: inFlight.length,
      arrivedBeforeKill,
      resentWithinMs: inFlight.length ? Math.max(...[...held].map((address) => (last.get(address) ?? Infinity) - killedAt)) : null,
      shares: [...runners].map(([id, runner]) => ({ kind: runner.kind, killed: id === victim[0], sent: id === victim[0] ? (sharesAtKill.get(id) ?? 0) : (shares.get(id) ?? 0) })),
      seconds: Number(seconds.toFixed(1)),
      messagesPerSecond: Math.round(recipients / seconds),
      targets: TARGETS,
    };
    log(JSON.stringify(result));
    return result;
  } finally {
    for (const child of [...children]) await child.kill();
    await sink.close();
    await shared.drop();
  }
}
