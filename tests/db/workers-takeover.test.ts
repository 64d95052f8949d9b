import { spawnSync } from "node:child_process";
import os from "node:os";
import { and, eq, sql } from "drizzle-orm";
import { afterEach, expect, it } from "vitest";
import { deliveries, engineWorkers } from "@/db/schema";
import { claimBatch } from "@/lib/sending/batch";
import { materializeStep, startTask } from "@/lib/sending/materialize";
import { takeOverStoppedWorkers } from "@/lib/sending/reconcile";
import { createTask } from "@/lib/sending/tasks";
import { claimTokenOf, WorkerPresence, type ReleasedBatches } from "@/lib/sending/workers";
import { describeOnDatabases } from "../helpers/db";
import { makeSendingSetup, taskInput, testSendingConfig } from "../helpers/sending";

const HOUR_MS = 3_600_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The PID of a process that has ended (and so is nobody's now, short of reuse within the test). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" });
  return Number(child.stdout.trim());
}

describeOnDatabases("send runners' heartbeats and the takeover of a stopped one's claims", (db) => {
  /** A task of `count` recipients, materialised into batches of 10 and due now. */
  async function materializedTask(count: number) {
    const setup = await makeSendingSetup(db(), { count, quota: 1000 });
    const task = await createTask(setup.ctx, taskInput(setup));
    await startTask(db(), task.id);
    await materializeStep(db(), task.id, testSendingConfig());
    return task.id;
  }

  /** Claims one batch of 10 with an hour's lease, as runner `workerId` (or none), and answers its claim token. */
  async function claim(taskId: string, workerId: string | undefined) {
    const token = claimTokenOf(workerId);
    const claimed = await claimBatch(db(), taskId, 10, HOUR_MS, token);
    expect(claimed).toHaveLength(10);
    return token;
  }

  // What a test leaves claimed, by runners of its own making, is not the next test's to count.
  afterEach(async () => {
    await db().update(deliveries).set({ status: "queued", claimToken: null, leaseUntil: null }).where(eq(deliveries.status, "sending"));
    await db().delete(engineWorkers);
  });

  const heldBy = async (token: string) => (await db().select({ id: deliveries.id }).from(deliveries).where(and(eq(deliveries.claimToken, token), eq(deliveries.status, "sending")))).length;

  it("keeps every claim of a runner that heartbeats, and re-queues those of one whose heartbeat stopped, long before their lease ends", async () => {
    const taskId = await materializedTask(30);
    const live = new WorkerPresence(db(), { kind: "worker", heartbeatMs: 100, staleAfterMs: 500, takeOver: (stale) => takeOverStoppedWorkers(db(), stale) });
    await live.start();
    try {
      // A runner killed a minute ago: its row stays, its heartbeat does not move.
      const deadId = crypto.randomUUID();
      await db().insert(engineWorkers).values({ id: deadId, kind: "worker", host: "elsewhere", pid: 1, startedAt: sql`now() - interval '1 minute'`, heartbeatAt: sql`now() - interval '1 minute'` });
      const liveToken = await claim(taskId, live.id);
      const deadToken = await claim(taskId, deadId);
      const leaseOnlyToken = await claim(taskId, undefined);

      // Three times the staleness, while the live runner beats and each of its beats runs the takeover too.
      await sleep(1_500);
      expect(await takeOverStoppedWorkers(db(), 500)).toEqual([]);

      expect(await heldBy(liveToken)).toBe(10);
      expect(await heldBy(deadToken)).toBe(0);
      // A claim that names no runner (Inngest's runs) waits for its lease, as before.
      expect(await heldBy(leaseOnlyToken)).toBe(10);
      const requeued = await db().select({ status: deliveries.status, claimToken: deliveries.claimToken, attempts: deliveries.attempts }).from(deliveries).where(and(eq(deliveries.taskId, taskId), eq(deliveries.status, "queued")));
      // The dead runner's whole batch is due again, with its attempts unchanged (the same idempotency key when re-sent).
      expect(requeued).toHaveLength(10);
      expect(requeued.every((row) => row.claimToken === null && row.attempts === 0)).toBe(true);
    } finally {
      await live.stop();
    }
    // A clean stop leaves no row behind.
    expect(await db().select().from(engineWorkers).where(eq(engineWorkers.id, live.id!))).toEqual([]);
  });

  it("takes over the claims of a runner whose row is gone, and not those of one whose heartbeat is late by less than the staleness", async () => {
    const taskId = await materializedTask(20);
    const slowId = crypto.randomUUID();
    await db().insert(engineWorkers).values({ id: slowId, kind: "web", host: os.hostname(), pid: process.pid, heartbeatAt: sql`now() - interval '5 seconds'` });
    const slowToken = await claim(taskId, slowId);
    const goneToken = await claim(taskId, crypto.randomUUID());
    expect(await takeOverStoppedWorkers(db(), 10_000)).toEqual([{ taskId, batches: 1, deliveries: 10 }]);
    expect(await heldBy(slowToken)).toBe(10);
    expect(await heldBy(goneToken)).toBe(0);
  });

  it("on the embedded database, releases at start the claims of its previous lives on this machine, fresh heartbeat or not, and keeps a live process's", async () => {
    const taskId = await materializedTask(20);
    // The server killed a moment ago: its heartbeat is fresh, but its process is gone.
    const previousId = crypto.randomUUID();
    const neighbourId = crypto.randomUUID();
    await db().insert(engineWorkers).values([
      { id: previousId, kind: "web", host: os.hostname(), pid: deadPid() },
      // A worker beside it, alive (this test's parent process), heartbeating.
      { id: neighbourId, kind: "worker", host: os.hostname(), pid: process.ppid },
    ]);
    const previousToken = await claim(taskId, previousId);
    const neighbourToken = await claim(taskId, neighbourId);

    const presence = (embedded: boolean, released: ReleasedBatches[]) =>
      new WorkerPresence(db(), { kind: "web", embedded, takeOver: (stale) => takeOverStoppedWorkers(db(), stale), onTakenOver: (batches) => released.push(batches) });
    // On Postgres a runner cannot know another machine's processes: there the claims wait for the staleness.
    const onPostgres = presence(false, []);
    await onPostgres.start();
    await onPostgres.stop();
    expect(await heldBy(previousToken)).toBe(10);

    const released: ReleasedBatches[] = [];
    const restarted = presence(true, released);
    await restarted.start();
    expect(released).toEqual([[{ taskId, batches: 1, deliveries: 10 }]]);
    expect(await heldBy(previousToken)).toBe(0);
    expect(await heldBy(neighbourToken)).toBe(10);
    expect(await db().select().from(engineWorkers).where(eq(engineWorkers.id, previousId))).toEqual([]);
    await restarted.stop();
  });
});
