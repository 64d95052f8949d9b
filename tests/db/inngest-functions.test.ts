import { InngestTestEngine } from "@inngest/test";
import { and, eq, sql } from "drizzle-orm";
import type { InngestFunction } from "inngest";
import { afterAll, beforeAll, expect, it } from "vitest";
import { deliveries, tasks } from "@/db/schema";
import { TASK_EVENTS } from "@/inngest/events";
import { createFunctions } from "@/inngest/functions";
import { batchThrottle } from "@/inngest/functions/send-batch";
import type { EngineSource } from "@/inngest/functions/steps";
import type { EngineDeps } from "@/lib/sending/batch";
import { sendingConfig, type SendingConfig } from "@/lib/sending/config";
import { materializeStep, startTask } from "@/lib/sending/materialize";
import { cancelTask, createTask, getTask, pauseTask, resumeTask } from "@/lib/sending/tasks";
import { RateLimiter } from "@/lib/sending/throttle";
import { createSmtpTransport, type Transport } from "@/lib/transports";
import { describeOnDatabases } from "../helpers/db";
import { makeSendingSetup, taskInput, testSendingConfig, type SendingSetup } from "../helpers/sending";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

type SentEvent = { id?: string; name: string; data: Record<string, unknown>; ts?: number };
type MockedStep = InngestTestEngine.MockedStep;

/** Runs a function to its end on one event; steps named in `mocks` are not run but answered (Inngest's own work: sleeping, sending events). */
async function execute(fn: InngestFunction.Any, name: string, data: Record<string, unknown>, mocks: MockedStep[] = []) {
  const engine = new InngestTestEngine({ function: fn, events: [{ name, data }], steps: mocks });
  const output = await engine.execute();
  if (output.error) throw output.error instanceof Error ? output.error : new Error(JSON.stringify(output.error));
  const calls = (spy: unknown) => (spy as { mock: { calls: unknown[][] } }).mock.calls;
  return {
    result: output.result as Record<string, unknown>,
    /** step.run ids in the order the last replay met them. */
    runs: calls(output.ctx.step.run).map((call) => call[0] as string),
    sleeps: calls(output.ctx.step.sleepUntil),
    /** Every step.sendEvent call: step id and the events it sends. */
    sent: calls(output.ctx.step.sendEvent).map((call) => ({ step: call[0] as string, events: ([] as SentEvent[]).concat(call[1] as SentEvent | SentEvent[]) })),
  };
}

/** The events step.sendEvent would hand to Inngest, answered as Inngest answers (no network). */
const sendMock = (id: string): MockedStep => ({ id, handler: () => ({ ids: [`${id}-event`] }) });

describeOnDatabases("Inngest sending functions", (db) => {
  let sink: SmtpSink;
  let transport: Transport;
  const config = testSendingConfig({ concurrency: 4, materializeStep: 5 });
  const engineWith =
    (settings: SendingConfig): EngineSource =>
    async (): Promise<EngineDeps> => ({ db: db(), transport, config: settings, limiter: new RateLimiter() });
  const fns = createFunctions(engineWith(config), { config, materializeBudgetMs: 0 });

  beforeAll(async () => {
    sink = await startSmtpSink();
    transport = createSmtpTransport({ url: sink.url });
  });
  afterAll(async () => {
    await transport?.close();
    await sink?.close();
  });

  const received = (setup: SendingSetup) => sink.messages.map((message) => message.envelope.rcptTo[0]!).filter((address) => setup.emails.includes(address));
  const taskRow = async (id: string) => (await db().select().from(tasks).where(eq(tasks.id, id)))[0]!;
  const statuses = async (id: string) => {
    const rows = await db().select({ status: deliveries.status }).from(deliveries).where(eq(deliveries.taskId, id));
    const counts: Record<string, number> = {};
    for (const row of rows) counts[row.status] = (counts[row.status] ?? 0) + 1;
    return counts;
  };

  /** A task that has started and has every recipient materialised, the way the scheduler leaves it. */
  async function sendingTask(setup: SendingSetup) {
    const created = await createTask(setup.ctx, taskInput(setup, { scheduledAt: new Date(Date.now() - 1000) }));
    expect(await startTask(db(), created.id)).toBe(true);
    while (!(await materializeStep(db(), created.id, config)).done);
    return created;
  }

  const batchData = (taskId: string, domain: string) => ({ taskId, transport: "smtp", domain });

  it("scheduler: sleeps until the task's time, starts it, materialises it in bounded steps and fans out batch events", async () => {
    const domain = "scheduler.inngest.test";
    const setup = await makeSendingSetup(db(), { count: 23, quota: 1000, domain });
    const created = await createTask(setup.ctx, taskInput(setup, { scheduledAt: new Date(Date.now() + 1200) }));
    expect(created.status).toBe("scheduled");

    let wokeAt = 0;
    const run = await execute(fns.taskScheduler, TASK_EVENTS.scheduled, { taskId: created.id, scheduledAt: created.scheduledAt }, [
      {
        // What Inngest does for step.sleepUntil: the run goes on at that time.
        id: "wait-until-scheduled",
        handler: async () => {
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(created.scheduledAt) - Date.now())));
          wokeAt = Date.now();
          return null;
        },
      },
      sendMock("fan-out"),
    ]);

    expect(run.sleeps).toEqual([["wait-until-scheduled", created.scheduledAt]]);
    expect(wokeAt).toBeGreaterThanOrEqual(Date.parse(created.scheduledAt));
    // 23 contacts, 5 per materialise call, one call per step: five steps, the last one finding the end.
    expect(run.runs).toEqual(["start", "materialize-0", "materialize-1", "materialize-2", "materialize-3", "materialize-4", "plan-batches"]);
    expect(run.result).toMatchObject({ started: true, materialized: { steps: 5, added: 23, suppressed: 0 }, batches: 3 });

    const task = await taskRow(created.id);
    expect(task).toMatchObject({ status: "sending", total: 23, queued: 23, materializeCursor: null });
    expect(task.startedAt!.getTime()).toBeGreaterThanOrEqual(Date.parse(created.scheduledAt));
    expect(await statuses(created.id)).toEqual({ queued: 23 });

    // min(concurrency 4, ceil(23 queued / batches of 10)) = 3 chains, keyed by transport and sender domain.
    expect(run.sent).toHaveLength(1);
    expect(run.sent[0]!.step).toBe("fan-out");
    expect(run.sent[0]!.events).toHaveLength(3);
    for (const event of run.sent[0]!.events) expect(event).toMatchObject({ name: TASK_EVENTS.batch, data: batchData(created.id, domain) });
    expect(new Set(run.sent[0]!.events.map((event) => event.id)).size).toBe(3);
    expect(received(setup)).toEqual([]); // the scheduler itself sends nothing
  });

  it("scheduler: a run woken before the task's (edited) time stops without starting it", async () => {
    const setup = await makeSendingSetup(db(), { count: 3, quota: 100 });
    const created = await createTask(setup.ctx, taskInput(setup, { scheduledAt: new Date(Date.now() + 3_600_000) }));
    // An earlier time, as an event sent before the task was edited to a later one carries.
    const run = await execute(fns.taskScheduler, TASK_EVENTS.scheduled, { taskId: created.id, scheduledAt: new Date(Date.now() - 1000).toISOString() }, [
      { id: "wait-until-scheduled", handler: () => null },
      sendMock("fan-out"),
    ]);
    expect(run.result).toEqual({ taskId: created.id, started: false });
    expect(run.runs).toEqual(["start"]);
    expect(run.sent).toEqual([]);
    expect(await taskRow(created.id)).toMatchObject({ status: "scheduled", total: 0, startedAt: null });
    expect(await statuses(created.id)).toEqual({});
  });

  it("batch: sends a real batch through SMTP, records it, and asks for the next batch until the task is done", async () => {
    const domain = "batch.inngest.test";
    const setup = await makeSendingSetup(db(), { count: 23, quota: 1000, domain });
    const created = await sendingTask(setup);
    const data = batchData(created.id, domain);

    const first = await execute(fns.batchSender, TASK_EVENTS.batch, data, [sendMock("next-batch")]);
    expect(first.result).toMatchObject({ claimed: 10, sent: 10, failed: 0, next: "batch" });
    expect(first.sent).toEqual([{ step: "next-batch", events: [{ id: expect.any(String), name: TASK_EVENTS.batch, data }] }]);
    expect(received(setup)).toHaveLength(10);
    expect(await taskRow(created.id)).toMatchObject({ status: "sending", sent: 10, queued: 13 });
    expect(await statuses(created.id)).toEqual({ sent: 10, queued: 13 });

    // Follow the chain the way Inngest would: each run's next-batch event starts the next run.
    const chain = [first];
    while (chain.at(-1)!.result.next === "batch") chain.push(await execute(fns.batchSender, TASK_EVENTS.batch, data, [sendMock("next-batch")]));
    expect(chain.map((run) => run.result.sent)).toEqual([10, 10, 3, 0]);
    // The third batch recorded the last recipient and completed the task: the next run finds it no longer sending.
    const last = chain.at(-1)!;
    expect(last.result).toMatchObject({ idle: "not_sending", claimed: 0, next: "none" });
    expect(last.sent).toEqual([]);

    expect(received(setup).sort()).toEqual([...setup.emails].sort());
    expect(await taskRow(created.id)).toMatchObject({ status: "completed", sent: 23, queued: 0, reserved: 0 });
    expect(await statuses(created.id)).toEqual({ sent: 23 });
  });

  it("batch: when only retries wait, the chain asks to be woken when the first one is due", async () => {
    const retryConfig = testSendingConfig({ concurrency: 4, retryBaseMs: 120_000 });
    const retrying = createFunctions(engineWith(retryConfig), { config: retryConfig });
    const domain = "retry.inngest.test";
    const setup = await makeSendingSetup(db(), { emails: ["ok-1@retry-inngest.test", "later@retry-inngest.test"], quota: 100, domain });
    const created = await sendingTask(setup);
    const data = batchData(created.id, domain);

    const first = await execute(retrying.batchSender, TASK_EVENTS.batch, data, [sendMock("next-batch")]);
    expect(first.result).toMatchObject({ claimed: 2, sent: 1, retrying: 1, next: "batch" });
    const second = await execute(retrying.batchSender, TASK_EVENTS.batch, data, [sendMock("wake-at-retry")]);
    expect(second.result).toMatchObject({ idle: "nothing_due", next: "retry" });

    const [waiting] = await db()
      .select()
      .from(deliveries)
      .where(and(eq(deliveries.taskId, created.id), eq(deliveries.status, "queued")));
    expect(waiting).toMatchObject({ email: "later@retry-inngest.test", attempts: 1, code: 451 });
    expect(waiting!.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 100_000);
    expect(second.sent).toHaveLength(1);
    const [wake] = second.sent[0]!.events;
    expect(second.sent[0]!.step).toBe("wake-at-retry");
    expect(wake).toMatchObject({ name: TASK_EVENTS.batch, data });
    // Woken a second after the retry is due, so it is due when the run claims.
    expect(Math.abs(wake!.ts! - waiting!.nextAttemptAt.getTime() - 1000)).toBeLessThanOrEqual(1);
    expect(received(setup)).toEqual(["ok-1@retry-inngest.test"]);
  });

  it("configuration: batches are limited per transport and throttled per sender domain when a domain rate is set", () => {
    const env = { FANOUT_DOMAIN_RATE_PER_SECOND: "50", FANOUT_BATCH_SIZE: "10", FANOUT_SEND_CONCURRENCY: "3" };
    const throttled = createFunctions(engineWith(config), { config: sendingConfig(env) });
    expect(throttled.batchSender.opts.triggers).toEqual([expect.objectContaining({ event: TASK_EVENTS.batch })]);
    expect(throttled.batchSender.opts.concurrency).toEqual([{ key: "event.data.transport", limit: 3 }]);
    // 50 messages a second in batches of 10: five batch runs a second per sender domain.
    expect(throttled.batchSender.opts.throttle).toEqual({ key: "event.data.domain", limit: 5, period: "1s" });

    const unthrottled = createFunctions(engineWith(config), { config: sendingConfig({ FANOUT_SEND_CONCURRENCY: "7" }) });
    expect(unthrottled.batchSender.opts.concurrency).toEqual([{ key: "event.data.transport", limit: 7 }]);
    expect(unthrottled.batchSender.opts.throttle).toBeUndefined();
    // Slower than one batch a second: one run per as many seconds as a batch takes (Inngest wants whole limits).
    expect(batchThrottle(sendingConfig({ FANOUT_DOMAIN_RATE_PER_SECOND: "2", FANOUT_BATCH_SIZE: "100" }))).toEqual({ key: "event.data.domain", limit: 1, period: "50s" });

    expect(fns.taskScheduler.opts.triggers).toEqual([expect.objectContaining({ event: TASK_EVENTS.scheduled })]);
    expect(fns.taskResumed.opts.triggers).toEqual([expect.objectContaining({ event: TASK_EVENTS.resumed })]);
    expect(fns.reconciler.opts.triggers).toEqual([{ cron: "* * * * *" }]);
  });

  it("cancellation: the scheduler is cancelled by the task's cancel event, and a cancelled task's chain stops at once", async () => {
    for (const fn of [fns.taskScheduler, fns.taskResumed]) {
      expect(fn.opts.cancelOn).toEqual([{ event: expect.objectContaining({ name: TASK_EVENTS.cancelled }), if: "async.data.taskId == event.data.taskId" }]);
    }
    const domain = "cancel.inngest.test";
    const setup = await makeSendingSetup(db(), { count: 23, quota: 1000, domain });
    const created = await sendingTask(setup);
    const data = batchData(created.id, domain);
    const first = await execute(fns.batchSender, TASK_EVENTS.batch, data, [sendMock("next-batch")]);
    expect(first.result).toMatchObject({ sent: 10, next: "batch" });

    await cancelTask(setup.ctx, created.id);
    const after = await execute(fns.batchSender, TASK_EVENTS.batch, data, [sendMock("next-batch"), sendMock("wake-at-retry")]);
    expect(after.result).toMatchObject({ idle: "not_sending", claimed: 0, next: "none" });
    expect(after.sent).toEqual([]);
    expect(received(setup)).toHaveLength(10);
    expect(await taskRow(created.id)).toMatchObject({ status: "cancelled", sent: 10, cancelled: 13, queued: 0 });
    expect(await statuses(created.id)).toEqual({ sent: 10, cancelled: 13 });
  });

  it("pause and resume: a paused task's chain ends; the resumed function starts new chains that finish it", async () => {
    const domain = "resume.inngest.test";
    const setup = await makeSendingSetup(db(), { count: 15, quota: 1000, domain });
    const created = await sendingTask(setup);
    const data = batchData(created.id, domain);
    await execute(fns.batchSender, TASK_EVENTS.batch, data, [sendMock("next-batch")]);
    await pauseTask(setup.ctx, created.id);
    const paused = await execute(fns.batchSender, TASK_EVENTS.batch, data, [sendMock("next-batch")]);
    expect(paused.result).toMatchObject({ idle: "not_sending", next: "none" });
    expect(paused.sent).toEqual([]);
    expect(received(setup)).toHaveLength(10);

    await resumeTask(setup.ctx, created.id);
    const resumed = await execute(fns.taskResumed, TASK_EVENTS.resumed, { taskId: created.id }, [sendMock("fan-out")]);
    expect(resumed.runs).toEqual(["materialize-0", "plan-batches"]);
    // 5 left: one chain.
    expect(resumed.sent).toEqual([{ step: "fan-out", events: [{ id: expect.any(String), name: TASK_EVENTS.batch, data }] }]);
    const rest = await execute(fns.batchSender, TASK_EVENTS.batch, data, [sendMock("next-batch")]);
    expect(rest.result).toMatchObject({ sent: 5 });
    expect(received(setup).sort()).toEqual([...setup.emails].sort());
    expect((await getTask(setup.ctx, created.id)).status).toBe("completed");
  });

  it("reconciler: re-queues an expired lease and restarts chains for it; restarts lost schedules and materialisations", async () => {
    const domain = "reconcile.inngest.test";
    const setup = await makeSendingSetup(db(), { count: 23, quota: 1000, domain });
    const created = await sendingTask(setup);
    const reconcileOnce = () => execute(fns.reconciler, "inngest/scheduled.timer", {}, [sendMock("recover")]);
    const eventsFor = (run: Awaited<ReturnType<typeof reconcileOnce>>, taskId: string) =>
      run.sent.flatMap((call) => call.events).filter((event) => event.data.taskId === taskId);

    // Chains are working on the task (its row just moved): nothing to restart.
    const calm = await reconcileOnce();
    expect(calm.result).toMatchObject({ requeued: 0 });
    expect(eventsFor(calm, created.id)).toEqual([]);

    // A worker claimed a recipient and died: its lease ran out a minute ago.
    const [lost] = await db().select().from(deliveries).where(eq(deliveries.taskId, created.id)).orderBy(deliveries.id).limit(1);
    await db()
      .update(deliveries)
      .set({ status: "sending", claimToken: "dead-worker", leaseUntil: new Date(Date.now() - 60_000) })
      .where(eq(deliveries.id, lost!.id));

    const run = await reconcileOnce();
    expect(run.runs).toEqual(["reconcile", "find-lost-work", "ab-tests", "notification-emails"]);
    expect(run.result).toMatchObject({ requeued: 1 });
    const [requeued] = await db().select().from(deliveries).where(eq(deliveries.id, lost!.id));
    expect(requeued).toMatchObject({ status: "queued", leaseUntil: null, claimToken: null, attempts: 0 });
    expect(run.sent.map((call) => call.step)).toEqual(["recover"]);
    const events = eventsFor(run, created.id);
    expect(events).toHaveLength(3);
    for (const event of events) expect(event).toMatchObject({ name: TASK_EVENTS.batch, data: batchData(created.id, domain) });

    // The restarted chain sends the re-queued recipient with the others.
    const chained = await execute(fns.batchSender, TASK_EVENTS.batch, events[0]!.data, [sendMock("next-batch")]);
    expect(chained.result).toMatchObject({ sent: 10 });
    expect(received(setup)).toContain(lost!.email);

    // Chains that all died without a lease to show it: the task's row stopped moving a lease period ago.
    await db().update(tasks).set({ updatedAt: new Date(Date.now() - config.leaseMs - 60_000) }).where(eq(tasks.id, created.id));
    // A schedule whose event was lost, and a task whose scheduler run died half-way through materialising.
    const lateSetup = await makeSendingSetup(db(), { count: 2, quota: 100 });
    const late = await createTask(lateSetup.ctx, taskInput(lateSetup, { scheduledAt: new Date(Date.now() - 5 * 60_000) }));
    const halfSetup = await makeSendingSetup(db(), { count: 12, quota: 100 });
    const half = await createTask(halfSetup.ctx, taskInput(halfSetup, { scheduledAt: new Date(Date.now() - 1000) }));
    await startTask(db(), half.id);
    expect((await materializeStep(db(), half.id, config)).done).toBe(false);
    await db().execute(sql`update tasks set updated_at = now() - interval '10 minutes' where id = ${half.id}`);

    const recovery = await reconcileOnce();
    expect(recovery.result).toMatchObject({ requeued: 0 });
    expect(eventsFor(recovery, created.id)).toHaveLength(2); // 13 left: two chains
    expect(eventsFor(recovery, late.id)).toEqual([{ id: expect.any(String), name: TASK_EVENTS.scheduled, data: { taskId: late.id } }]);
    // Its first 5 recipients are due (a chain for them) and the other 7 still need rows (resumed).
    expect(eventsFor(recovery, half.id)).toEqual([
      { id: expect.any(String), name: TASK_EVENTS.batch, data: { taskId: half.id, transport: "smtp", domain: expect.any(String) } },
      { id: expect.any(String), name: TASK_EVENTS.resumed, data: { taskId: half.id } },
    ]);

    // The resumed function picks up the materialisation where the dead run left it.
    const continued = await execute(fns.taskResumed, TASK_EVENTS.resumed, { taskId: half.id }, [sendMock("fan-out")]);
    expect(continued.result).toMatchObject({ materialized: { added: 7 }, batches: 2 });
    expect(await taskRow(half.id)).toMatchObject({ status: "sending", total: 12, queued: 12, materializeCursor: null });
  });
});
