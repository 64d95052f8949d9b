import { and, eq } from "drizzle-orm";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { auditLog, deliveries, notifications, settings, tasks } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { writeSetting } from "@/lib/accounts/settings";
import { POST as resumeRoute } from "@/app/api/v1/tasks/[id]/resume/route";
import { systemActor } from "@/lib/access/actor";
import { createApiKey } from "@/lib/accounts/api-keys";
import { GuardReason } from "@/components/notifications/guard-reason";
import { applyFeedback } from "@/lib/feedback/apply";
import { messagesFor } from "@/lib/i18n";
import { listNotifications, unreadCount } from "@/lib/notifications/inbox";
import { LocalRunner } from "@/lib/sending/runner";
import { createTask, getTask, pauseTask, resumeTask } from "@/lib/sending/tasks";
import { createSmtpTransport } from "@/lib/transports";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeUser } from "../helpers/factories";
import { makeSendingSetup, taskInput, testSendingConfig } from "../helpers/sending";
import { STANDARD_RULES, startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeOnDatabases("reputation guard", (db) => {
  let sink: SmtpSink;
  beforeAll(async () => {
    // Addresses ending "-void" do not exist at the receiving server.
    sink = await startSmtpSink({ rules: [{ match: "*-void@*", reply: "550 5.1.1 User unknown" }, ...STANDARD_RULES] });
  });
  afterAll(async () => {
    await sink?.close();
  });
  afterEach(async () => {
    // Each test starts from the default thresholds.
    await db().delete(settings);
  });

  function runner(overrides = {}) {
    return new LocalRunner(db(), { transport: createSmtpTransport({ url: sink.url }), config: testSendingConfig(overrides), log: () => undefined });
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
    const started = Date.now();
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
      await sleep(20);
    }
  }

  const statusOf = async (id: string) => (await db().select({ status: tasks.status }).from(tasks).where(eq(tasks.id, id)))[0]!.status;
  const inFlight = async (id: string) => (await db().select({ id: deliveries.id }).from(deliveries).where(and(eq(deliveries.taskId, id), eq(deliveries.status, "sending")))).length;

  it("pauses a task mailing a list with 10% unknown users within the first 1,500 answers, says why, notifies, and is resumed with the guard ignored (audited)", async () => {
    // Every tenth address is unknown, spread through the list (contacts are sent in address order).
    const emails = Array.from({ length: 3000 }, (_, i) => `r${String(i).padStart(5, "0")}${i % 10 === 9 ? "-void" : ""}@guard.test`);
    const setup = await makeSendingSetup(db(), { emails });
    const admin = await makeUser(db(), "admin");
    const member = await makeUser(db(), "department", { departmentId: setup.departmentId });
    const adminCtx: Ctx = { db: db(), actor: actorFor(admin, "admin") };
    const memberCtx: Ctx = { db: db(), actor: actorFor(member, "department", setup.departmentId) };
    const created = await createTask(setup.ctx, taskInput(setup));
    sink.reset();
    // The engine's defaults: batches of 100, four at a time.
    const engine = runner({ batchSize: 100, concurrency: 4 });
    engine.start();
    try {
      await until("the guard's pause", async () => (await statusOf(created.id)) === "paused");
      await until("the batches in flight to be recorded", async () => (await inFlight(created.id)) === 0);
      const paused = await getTask(setup.ctx, created.id);
      expect(paused.status).toBe("paused");
      expect(paused.guardPause).toMatchObject({ scope: "task", rule: "unknownUsers", threshold: 3 });
      expect(paused.guardPause!.rate).toBeGreaterThan(3);
      // The answers it judged on, and every answer once the batches in flight were recorded.
      expect(paused.guardPause!.answers).toBeGreaterThanOrEqual(1000);
      expect(paused.guardPause!.answers).toBeLessThanOrEqual(1500);
      expect(paused.sent + paused.failed).toBeLessThanOrEqual(1500);
      console.info(`guard: paused at ${paused.guardPause!.answers} answers; ${paused.sent + paused.failed} answers once the batches in flight were recorded`);
      // The task's page says why, in both languages, with the figures it judged on.
      const reason = (locale: "en" | "zh-CN") =>
        renderToStaticMarkup(createElement(GuardReason, { pause: paused.guardPause!, overridden: false, paused: true, t: messagesFor(locale), locale }));
      const answers = paused.guardPause!.answers.toLocaleString("en");
      expect(reason("en")).toContain(`unknown users reached ${paused.guardPause!.rate}% (threshold 3%) after ${answers} answers`);
      expect(reason("zh-CN")).toContain(`无效收件人率在 ${paused.guardPause!.answers.toLocaleString("zh-CN")} 个应答后达到 ${paused.guardPause!.rate}%（阈值 3%）`);
      // Sending stopped: nothing more reaches the receiving server.
      const stoppedAt = sink.messages.length;
      await sleep(400);
      expect(sink.messages.length).toBe(stoppedAt);
      expect((await getTask(setup.ctx, created.id)).sent).toBe(paused.sent);

      const [pauseAudit] = await db().select().from(auditLog).where(and(eq(auditLog.objectId, created.id), eq(auditLog.action, "task.guard_pause")));
      expect(pauseAudit).toBeTruthy();
      for (const ctx of [memberCtx, adminCtx]) {
        const seen = await listNotifications(ctx);
        expect(seen.notifications.find((row) => row.kind === "guardPause" && row.link === `/tasks/${created.id}`)).toMatchObject({ departmentId: setup.departmentId, read: false });
        expect(await unreadCount(ctx)).toBeGreaterThanOrEqual(1);
      }

      // Resumed as it was: the guard pauses it again at its next batch.
      await resumeTask(memberCtx, created.id);
      await until("the second pause", async () => (await statusOf(created.id)) === "paused");
      await until("the batches in flight to be recorded", async () => (await inFlight(created.id)) === 0);
      expect(await db().select().from(notifications).where(eq(notifications.link, `/tasks/${created.id}`))).toHaveLength(2);

      // Resumed ignoring the guard: audited with its own action, and the task runs to the end.
      const resumed = await resumeTask(memberCtx, created.id, { ignoreGuard: true });
      expect(resumed.guardOverride).toBe(true);
      const [override] = await db().select().from(auditLog).where(and(eq(auditLog.objectId, created.id), eq(auditLog.action, "task.guard_override")));
      expect(override).toMatchObject({ departmentId: setup.departmentId });
      await until("completion", async () => (await statusOf(created.id)) === "completed");
    } finally {
      await engine.stop();
    }
    const done = await getTask(setup.ctx, created.id);
    expect(done).toMatchObject({ status: "completed", sent: 2700, failed: 300, bounced: 0 });
  }, 180_000);

  it("pauses on complaints as they arrive through applyFeedback", async () => {
    await writeSetting({ db: db(), actor: actorFor(await makeUser(db(), "admin"), "admin") }, "guardMinAnswers", 100);
    const setup = await makeSendingSetup(db(), { count: 400 });
    const created = await createTask(setup.ctx, taskInput(setup));
    const slow = await startSmtpSink({ dataDelayMs: 15 });
    const engine = new LocalRunner(db(), { transport: createSmtpTransport({ url: slow.url }), config: testSendingConfig({ concurrency: 1 }), log: () => undefined });
    engine.start();
    try {
      await slow.waitFor(150);
      const [first] = await db().select({ id: deliveries.id }).from(deliveries).where(and(eq(deliveries.taskId, created.id), eq(deliveries.status, "sent"))).limit(1);
      // One complaint in 150-odd answers is 0.6%, past 0.3%.
      expect(await applyFeedback(db(), first!.id, { kind: "complaint" }, { source: "inbound" })).toBe("applied");
      expect(await statusOf(created.id)).toBe("paused");
      const task = await getTask(setup.ctx, created.id);
      expect(task.guardPause).toMatchObject({ rule: "complaints", scope: "task", threshold: 0.3 });
    } finally {
      await engine.stop();
      await slow.close();
    }
  }, 120_000);

  it("leaves a clean task alone", async () => {
    await writeSetting({ db: db(), actor: actorFor(await makeUser(db(), "admin"), "admin") }, "guardMinAnswers", 100);
    const setup = await makeSendingSetup(db(), { count: 300 });
    const created = await createTask(setup.ctx, taskInput(setup));
    const engine = runner();
    try {
      await engine.drain();
    } finally {
      await engine.stop();
    }
    const task = await getTask(setup.ctx, created.id);
    expect(task).toMatchObject({ status: "completed", sent: 300, guardPause: null });
    const [row] = await db().select({ answers: tasks.guardAnswers, hard: tasks.guardHardBounces }).from(tasks).where(eq(tasks.id, created.id));
    expect(row).toEqual({ answers: 300, hard: 0 });
  }, 120_000);

  it("pauses every sending task of a sender domain whose last day is past a threshold", async () => {
    const admin: Ctx = { db: db(), actor: actorFor(await makeUser(db(), "admin"), "admin") };
    await writeSetting(admin, "guardMinAnswers", 100);
    // The first task is allowed its 20% unknown users (threshold raised while it runs).
    await writeSetting(admin, "guardUnknownUserPercent", 50);
    await writeSetting(admin, "guardHardBouncePercent", 50);
    const emails = Array.from({ length: 200 }, (_, i) => `d${String(i).padStart(4, "0")}${i % 5 === 0 ? "-void" : ""}@guard.test`);
    const setup = await makeSendingSetup(db(), { emails });
    const first = await createTask(setup.ctx, taskInput(setup));
    let engine = runner();
    try {
      await engine.drain();
    } finally {
      await engine.stop();
    }
    expect(await statusOf(first.id)).toBe("completed");
    await db().delete(settings);
    await writeSetting(admin, "guardMinAnswers", 100);
    // A second task of the same sender domain: its own rates count for nothing yet, its domain's do.
    const second = await createTask(setup.ctx, taskInput(setup));
    engine = runner({ concurrency: 1 });
    try {
      engine.start();
      await until("the domain pause", async () => (await statusOf(second.id)) === "paused");
    } finally {
      await engine.stop();
    }
    const task = await getTask(setup.ctx, second.id);
    expect(task.guardPause).toMatchObject({ scope: "domain", rule: "unknownUsers", domain: expect.stringContaining(".example.org") });
    expect(task.guardPause!.answers).toBeGreaterThanOrEqual(200);
    const [note] = await db().select().from(notifications).where(eq(notifications.link, `/tasks/${second.id}`));
    expect(note).toMatchObject({ kind: "guardPause", departmentId: setup.departmentId, params: expect.objectContaining({ scope: "domain" }) });
  }, 120_000);

  it("resumes through the API with ?ignoreGuard=true, audited as task.guard_override; without it the override stays off", async () => {
    const setup = await makeSendingSetup(db(), { count: 3 });
    const key = (await createApiKey({ db: db(), actor: systemActor("test") }, { name: "crm", scope: { company: false, departmentId: setup.departmentId } })).secret;
    const call = (id: string, query: string) =>
      resumeRoute(new Request(`http://fanout.test/api/v1/tasks/${id}/resume${query}`, { method: "POST", headers: { authorization: `Bearer ${key}`, "x-forwarded-for": "198.51.100.7" } }), { params: Promise.resolve({ id }) });
    const plain = await createTask(setup.ctx, taskInput(setup, { scheduledAt: new Date("2099-01-01T00:00:00Z") }));
    await pauseTask(setup.ctx, plain.id);
    const answer = await call(plain.id, "");
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ status: "scheduled", guardOverride: false, guardPause: null });
    const ignored = await createTask(setup.ctx, taskInput(setup, { scheduledAt: new Date("2099-01-01T00:00:00Z") }));
    await pauseTask(setup.ctx, ignored.id);
    const overridden = await call(ignored.id, "?ignoreGuard=true");
    expect(overridden.status).toBe(200);
    expect(await overridden.json()).toMatchObject({ guardOverride: true });
    const rows = await db().select().from(auditLog).where(and(eq(auditLog.objectId, ignored.id), eq(auditLog.action, "task.guard_override")));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.summary).toContain("ignoring the reputation guard");
    expect((await call(ignored.id, "?ignoreGuard=maybe")).status).toBe(400);
  });
});
