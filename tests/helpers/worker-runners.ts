import { sql } from "drizzle-orm";
import { queryRows, type Database } from "@/db/client";
import { sleep, startChild, type Child, type Shared } from "./crash";
import type { SmtpSink } from "./smtp-sink";

/*
 * Send runners in processes of their own on one database, for tests/db/workers.test.ts and
 * `npm run bench -- workers`: two `npm run worker` processes (worker-child.ts runs scripts/worker.ts)
 * and the web server's boot (boot-child.ts), each registered in `engine_workers`.
 */

export type Runner = { child: Child; kind: "worker" | "web" };
export type Runners = Map<string, Runner>;

/** Two workers and the web process sending to `sink`, started and registered; by runner id. */
export async function startRunners(shared: Shared, db: Database, sink: SmtpSink): Promise<Runners> {
  const env = {
    ...shared.childEnv,
    SMTP_URL: sink.url,
    FANOUT_RUNNER: "local",
    // The same secret in every process, as a deployment gives them, so each signs links alike.
    FANOUT_TOKEN_SECRET: "workers-test-token-secret",
    AUTH_SECRET: "workers-test-auth-secret",
  };
  const runners: Runner[] = [
    { child: startChild("tests/helpers/worker-child.ts", env, []), kind: "worker" },
    { child: startChild("tests/helpers/worker-child.ts", env, []), kind: "worker" },
    { child: startChild("tests/helpers/boot-child.ts", env, []), kind: "web" },
  ];
  for (const runner of runners) runner.child.go();
  const byPid = new Map<number, Runner>();
  const pids = await Promise.all(runners.map((runner) => pidOf(runner.child)));
  pids.forEach((pid, index) => byPid.set(pid, runners[index]!));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const rows = await queryRows<{ id: string; pid: number; kind: string }>(db, sql`select id, pid, kind from engine_workers`);
    const mine = rows.filter((row) => byPid.has(row.pid));
    if (mine.length === runners.length) {
      const wrong = mine.filter((row) => row.kind !== byPid.get(row.pid)!.kind);
      if (wrong.length > 0) throw new Error(`Runners registered as the wrong kind: ${JSON.stringify(wrong)}`);
      return new Map(mine.map((row) => [row.id, byPid.get(row.pid)!]));
    }
    if (Date.now() > deadline) throw new Error(`The runners did not all register in 60 s:\n${outputs(runners)}`);
    await sleep(100);
  }
}

/** The child's PID, from its log ("worker started (pid N", boot-child's "pid N"). */
async function pidOf(child: Child): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const match = /pid (\d+)/.exec(child.output());
    if (match) return Number(match[1]);
    if (Date.now() > deadline) throw new Error(`No pid in the child's output:\n${child.output()}`);
    await sleep(50);
  }
}

function outputs(runners: Iterable<Runner>): string {
  return [...runners].map((runner) => runner.child.output()).join("\n---\n");
}

/** Waits until the task is neither scheduled nor sending. */
export async function waitForTask(db: Database, taskId: string, runners: Runners, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [task] = await queryRows<{ status: string }>(db, sql`select status from tasks where id = ${taskId}`);
    if (task && !["scheduled", "sending"].includes(task.status)) return;
    if (Date.now() > deadline) throw new Error(`The task is still ${task?.status} after ${timeoutMs / 1000} s:\n${outputs(runners.values())}`);
    await sleep(100);
  }
}

/** How many messages the sink received for each (lower-cased) recipient. */
export function receivedCounts(sink: SmtpSink): Map<string, number> {
  const counts = new Map<string, number>();
  for (const message of sink.messages) {
    const address = message.envelope.rcptTo[0]!.toLowerCase();
    counts.set(address, (counts.get(address) ?? 0) + 1);
  }
  return counts;
}

/** Messages each runner's records made `sent`, by runner id. */
export async function sentBy(db: Database): Promise<Map<string, number>> {
  return new Map((await queryRows<{ id: string; sent: string | number }>(db, sql`select id, sent from engine_workers`)).map((row) => [row.id, Number(row.sent)]));
}

/** The task's deliveries a runner holds (claimed, not yet answered). */
export function heldBy(db: Database, taskId: string, runnerId: string) {
  return queryRows<{ id: string; email: string }>(db, sql`select id, email from deliveries where task_id = ${taskId} and status = 'sending' and claim_token like ${`${runnerId}:%`}`);
}

/**
 * Waits until `fraction` of `recipients` arrived at a moment the victim holds batches, kills it
 * with SIGKILL, and answers when and what it held then.
 */
export async function killMidTask(db: Database, sink: SmtpSink, taskId: string, victim: [string, Runner], recipients: number, fraction = 0.25) {
  const [victimId, runner] = victim;
  const deadline = Date.now() + 120_000;
  while (sink.messages.length < recipients * fraction || (await heldBy(db, taskId, victimId)).length === 0) {
    if (Date.now() > deadline) throw new Error(`No moment to kill found in 120 s (${sink.messages.length} arrived):\n${runner.child.output()}`);
    await sleep(5);
  }
  await runner.child.kill();
  const killedAt = Date.now();
  return { killedAt, arrivedBeforeKill: sink.messages.length, inFlight: await heldBy(db, taskId, victimId) };
}

/** The last time each recipient arrived at the sink (this process's clock). */
export function lastArrivals(sink: SmtpSink): Map<string, number> {
  const last = new Map<string, number>();
  for (const message of sink.messages) last.set(message.envelope.rcptTo[0]!.toLowerCase(), message.receivedAt);
  return last;
}
