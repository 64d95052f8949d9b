import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { deliveries, departments, suppressions, tasks, templateVersions } from "@/db/schema";
import { LocalRunner } from "@/lib/sending/runner";
import { cancelTask, createTask, getTask, pauseTask, resumeTask, updateTask } from "@/lib/sending/tasks";
import { createSmtpTransport } from "@/lib/transports";
import { describeOnDatabases } from "../helpers/db";
import { makeSendingSetup, taskInput, testSendingConfig } from "../helpers/sending";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

describeOnDatabases("send engine", (db) => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink?.close();
  });

  function runner(overrides = {}) {
    return new LocalRunner(db(), { transport: createSmtpTransport({ url: sink.url }), config: testSendingConfig(overrides), log: () => undefined });
  }

  it("sends every recipient of a pool once, with the counters, quota and SMTP answers recorded", async () => {
    const setup = await makeSendingSetup(db(), { emails: [...Array.from({ length: 25 }, (_, i) => `ok-${i}@engine.test`), "unknown@engine.test", "spam@engine.test", "later@engine.test"], quota: 1000 });
    const created = await createTask(setup.ctx, taskInput(setup));
    expect(created.status).toBe("scheduled");
    const engine = runner({ maxAttempts: 2 });
    try {
      await engine.drain();
    } finally {
      await engine.stop();
    }
    const task = await getTask(setup.ctx, created.id);
    expect(task).toMatchObject({ status: "completed", total: 28, queued: 0, sent: 25, failed: 3, suppressed: 0 });
    const received = sink.messages.filter((message) => message.envelope.rcptTo[0]!.endsWith("@engine.test")).map((message) => message.envelope.rcptTo[0]);
    expect(received.sort()).toEqual(Array.from({ length: 25 }, (_, i) => `ok-${i}@engine.test`).sort());
    const rows = await db().select().from(deliveries).where(eq(deliveries.taskId, created.id));
    expect(rows.find((row) => row.email === "unknown@engine.test")).toMatchObject({ status: "failed", category: "user_unknown", code: 550, enhancedStatus: "5.1.1" });
    expect(rows.find((row) => row.email === "later@engine.test")).toMatchObject({ status: "failed", attempts: 2 });
    const [department] = await db().select().from(departments).where(eq(departments.id, setup.departmentId));
    expect(department).toMatchObject({ quotaUsed: 28, quotaReserved: 0 });
    const suppressed = await db().select().from(suppressions).where(eq(suppressions.departmentId, setup.departmentId));
    expect(suppressed.map((row) => row.email)).toEqual(["unknown@engine.test"]);
    const [raw] = await db().select().from(tasks).where(eq(tasks.id, created.id));
    expect(raw!.reserved).toBe(0);
  });

  it("pauses within one batch, resumes where it stopped, and cancel gives back the unused quota", async () => {
    const setup = await makeSendingSetup(db(), { count: 60, quota: 100 });
    const created = await createTask(setup.ctx, taskInput(setup));
    const engine = runner({ concurrency: 1 });
    sink.reset();
    engine.start();
    try {
      await sink.waitFor(1);
      await pauseTask(setup.ctx, created.id);
      const atPause = sink.messages.length;
      // The batch in flight (at most one: concurrency 1, batches of 10) finishes and is recorded.
      for (let wait = 0; (await db().select().from(deliveries).where(and(eq(deliveries.taskId, created.id), eq(deliveries.status, "sending")))).length > 0; wait++) {
        if (wait > 200) throw new Error("the batch in flight was never recorded");
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(sink.messages.length - atPause).toBeLessThanOrEqual(10);
      const paused = await getTask(setup.ctx, created.id);
      expect(paused.status).toBe("paused");
      expect(paused.sent).toBeLessThan(60);
      const stoppedAt = sink.messages.length;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(sink.messages.length).toBe(stoppedAt);
      await resumeTask(setup.ctx, created.id);
      await sink.waitFor(stoppedAt + 5);
      const cancelled = await cancelTask(setup.ctx, created.id);
      expect(cancelled.status).toBe("cancelled");
      await engine.drain();
    } finally {
      await engine.stop();
    }
    const task = await getTask(setup.ctx, created.id);
    const [department] = await db().select().from(departments).where(eq(departments.id, setup.departmentId));
    expect(task.sent + task.cancelled).toBe(60);
    expect(department).toMatchObject({ quotaUsed: task.sent, quotaReserved: 0 });
    const addresses = sink.messages.map((message) => message.envelope.rcptTo[0]);
    expect(new Set(addresses).size).toBe(addresses.length);
  });

  it("fails a task whose template version is gone, cancelling its waiting recipients and giving back their quota", async () => {
    const setup = await makeSendingSetup(db(), { count: 15, quota: 100 });
    const created = await createTask(setup.ctx, taskInput(setup));
    await db().delete(templateVersions).where(eq(templateVersions.templateId, setup.templateId));
    const engine = runner();
    try {
      await engine.drain();
    } finally {
      await engine.stop();
    }
    const task = await getTask(setup.ctx, created.id);
    expect(task).toMatchObject({ status: "failed", sent: 0, queued: 0 });
    expect(task.note).toMatch(/has no template version or sender/);
    const [department] = await db().select().from(departments).where(eq(departments.id, setup.departmentId));
    expect(department).toMatchObject({ quotaUsed: 0, quotaReserved: 0 });
    expect(sink.messages.filter((message) => message.envelope.rcptTo[0]!.includes(setup.emails[0]!.split("@")[0]!.split(".")[1]!))).toHaveLength(0);
  });

  it("does not send again what was in flight when its task was cancelled and its worker died", async () => {
    const setup = await makeSendingSetup(db(), { count: 3, quota: 100 });
    const created = await createTask(setup.ctx, taskInput(setup));
    const engine = runner();
    // Materialise and claim by hand, as a worker that then died would have.
    const { materializeStep, startTask } = await import("@/lib/sending/materialize");
    await startTask(db(), created.id);
    await materializeStep(db(), created.id, engine.config);
    await db().update(deliveries).set({ status: "sending", leaseUntil: new Date(Date.now() - 1000), claimToken: "dead-worker" }).where(eq(deliveries.taskId, created.id));
    await cancelTask(setup.ctx, created.id);
    expect((await getTask(setup.ctx, created.id)).queued).toBe(3);
    await engine.drain();
    await engine.stop();
    const task = await getTask(setup.ctx, created.id);
    expect(task).toMatchObject({ status: "cancelled", queued: 0, cancelled: 3, sent: 0 });
    const rows = await db().select().from(deliveries).where(eq(deliveries.taskId, created.id));
    expect(rows.map((row) => row.status)).toEqual(["cancelled", "cancelled", "cancelled"]);
    const [department] = await db().select().from(departments).where(eq(departments.id, setup.departmentId));
    expect(department).toMatchObject({ quotaUsed: 0, quotaReserved: 0 });
  });

  it("keeps a task paused before its time unmaterialised, so an edit after resuming still decides its audience", async () => {
    const setup = await makeSendingSetup(db(), { count: 5, quota: 100 });
    const created = await createTask(setup.ctx, taskInput(setup, { scheduledAt: new Date(Date.now() + 86_400_000) }));
    await pauseTask(setup.ctx, created.id);
    const engine = runner();
    await engine.drain();
    await engine.stop();
    expect(await db().select().from(deliveries).where(eq(deliveries.taskId, created.id))).toHaveLength(0);
    expect((await resumeTask(setup.ctx, created.id)).status).toBe("scheduled");
    const edited = await updateTask(setup.ctx, created.id, taskInput(setup, { limit: 1, scheduledAt: new Date(Date.now() - 1000) }));
    expect(edited.reserved).toBe(1);
    const again = runner();
    await again.drain();
    await again.stop();
    expect(await getTask(setup.ctx, created.id)).toMatchObject({ status: "completed", total: 1, sent: 1, reserved: 0 });
  });
});
