import { and, eq, isNotNull, sql } from "drizzle-orm";
import { InngestTestEngine } from "@inngest/test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { queryRows } from "@/db/client";
import { auditLog, deliveries, tasks } from "@/db/schema";
import { createFunctions } from "@/inngest/functions";
import { AB_TEST_WAITING, TASK_EVENTS } from "@/inngest/events";
import { recordOpen } from "@/lib/feedback/tracking";
import { advanceAbTests } from "@/lib/sending/ab-test";
import { abReport, chooseAbWinner } from "@/lib/sending/ab-test-actions";
import type { AbTestInput } from "@/lib/sending/ab-test-check";
import { createTask, loadTask } from "@/lib/sending/tasks";
import { createSmtpTransport } from "@/lib/transports";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeUser } from "../helpers/factories";
import { rejection } from "../helpers/rejection";
import { seeded } from "../helpers/seeded";
import { makeSendingSetup, PERSON_VISIT, sendAllDue, taskInput, testSendingConfig, type SendingSetup } from "../helpers/sending";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";
import { AppError } from "@/lib/errors";

vi.mock("next/headers", () => import("../helpers/next-headers"));

/*
 * Issue 18, the A/B test on a task (Done-means 1): a random test share dealt evenly to the variants,
 * people's opens generated with a fixed seed, the rule deciding after the wait on the engine's clock
 * (or a person choosing), and the rest sent the chosen variant, each recipient exactly one message.
 */

const HOUR = 3_600_000;
/** A step.sendEvent answered as Inngest answers it (no network). */
const sent = (id: string): InngestTestEngine.MockedStep => ({ id, handler: () => ({ ids: [`${id}-event`] }) });
/** A step.sleepUntil over at once: the run goes on as Inngest resumes it at the time. */
const slept = (id: string): InngestTestEngine.MockedStep => ({ id, handler: () => null });

describeOnDatabases("A/B tests on a task", (db) => {
  let sink: SmtpSink;

  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink.close();
  });

  const drain = () => sendAllDue(db(), sink.url);

  /** The subject of every message of `taskId` the sink took, by recipient; each recipient's count beside. */
  function received(taskId: string) {
    const subjects = new Map<string, string[]>();
    for (const message of sink.messages) {
      const raw = message.raw.toString("latin1");
      if (!raw.includes(`Message-ID: <${taskId}.`)) continue;
      const subject = /^Subject: (.*)$/m.exec(raw)?.[1] ?? "";
      for (const to of message.envelope.rcptTo) subjects.set(to, [...(subjects.get(to) ?? []), subject]);
    }
    return subjects;
  }

  /** Sent test rows opened by people, each with its variant's chance, drawn from a seeded generator (sent an hour ago, so no open looks like a prefetch). */
  async function openTestShare(taskId: string, openRates: number[], seed: number) {
    await db().update(deliveries).set({ sentAt: new Date(Date.now() - HOUR) }).where(and(eq(deliveries.taskId, taskId), isNotNull(deliveries.sentAt)));
    const random = seeded(seed);
    const rows = await db().select({ id: deliveries.id, variant: deliveries.variant }).from(deliveries).where(and(eq(deliveries.taskId, taskId), isNotNull(deliveries.variant))).orderBy(deliveries.id);
    for (const row of rows) if (random() < openRates[row.variant!]!) await recordOpen(db(), row.id, PERSON_VISIT);
  }

  async function phaseOf(taskId: string) {
    const [row] = await db().select({ phase: tasks.abPhase, status: tasks.status, decideAt: tasks.abDecideAt, decision: tasks.abDecision }).from(tasks).where(eq(tasks.id, taskId));
    return row!;
  }

  const twoSubjects = (extra: Partial<AbTestInput> = {}): AbTestInput => ({
    variants: [{ subject: "Spring news for {{ name }}" }, { subject: "{{ name }}, your spring offer is here" }],
    sharePercent: 20,
    metric: "opens",
    waitHours: 4,
    ...extra,
  });

  it("tests two subjects on a 20% share of 10,000, picks B where B truly opens 30% more, and sends B to the rest: one message each", { timeout: 240_000 }, async () => {
    const setup = await makeSendingSetup(db(), { count: 10_000, quota: null });
    const task = await createTask(setup.ctx, taskInput(setup, { name: "Spring A/B", abTest: twoSubjects() }));
    expect(task.abTest).toMatchObject({ phase: "testing", sharePercent: 20, metric: "opens", waitHours: 4, winnerBy: "rule", decision: null });
    await drain();

    // The share alone was sent: about 20% of the audience, dealt evenly, each variant its own subject.
    const test = await queryRows<{ variant: number; n: number }>(db(), sql`select variant, count(*)::int as n from deliveries where task_id = ${task.id} group by variant order by variant`);
    const [a, b] = [test[0]!.n, test[1]!.n];
    expect(test.map((row) => row.variant)).toEqual([0, 1]);
    expect(Math.abs(a - b)).toBeLessThanOrEqual(1);
    expect(a + b).toBeGreaterThan(1_800);
    expect(a + b).toBeLessThan(2_200);
    let mail = received(task.id);
    expect(mail.size).toBe(a + b);
    const subjects = new Set([...mail.values()].map((list) => list[0]!.replace(/Person \d+/, "…")));
    expect([...subjects].sort()).toEqual(["Spring news for …", "…, your spring offer is here"].sort());
    expect((await phaseOf(task.id)).phase).toBe("waiting");

    // The share's answers are in: the wait starts now and the rule does not decide before it ends.
    const now = new Date();
    await advanceAbTests(db(), now);
    const waiting = await phaseOf(task.id);
    expect(waiting.decideAt!.getTime() - now.getTime()).toBe(4 * HOUR);
    await openTestShare(task.id, [0.2, 0.26], 42);
    expect((await advanceAbTests(db(), new Date(now.getTime() + 4 * HOUR - 1_000))).decided).toEqual([]);
    expect((await phaseOf(task.id)).phase).toBe("waiting");

    const over = await advanceAbTests(db(), new Date(now.getTime() + 4 * HOUR));
    expect(over.decided).toEqual([task.id]);
    const decided = await phaseOf(task.id);
    expect(decided.decision).toMatchObject({ chosen: 1, chosenBy: "rule", rule: { clear: true, reason: "significant", winner: 1, threshold: 0.05 } });
    expect(decided.decision!.rule.comparisons[0]!.p).toBeLessThan(0.05);

    await drain();
    const finished = await loadTask(setup.ctx, task.id);
    expect(finished.status).toBe("completed");
    mail = received(task.id);
    // Everyone once: 10,000 recipients, 10,000 messages; the rest all had B's subject.
    expect(mail.size).toBe(10_000);
    expect([...mail.values()].filter((list) => list.length !== 1)).toEqual([]);
    const rest = await db().select({ email: deliveries.email }).from(deliveries).where(and(eq(deliveries.taskId, task.id), sql`${deliveries.variant} is null`));
    expect(rest.length).toBe(10_000 - a - b);
    expect(rest.filter((row) => !/, your spring offer is here$/.test(mail.get(row.email)![0]!))).toEqual([]);

    const report = await abReport(setup.ctx, finished);
    expect(report!.decision!.tallies.map((tally) => tally.sent)).toEqual([a, b]);
    expect(report!.tallies[1]!.opened).toBeGreaterThan(report!.tallies[0]!.opened);
  });

  it("declares no clear winner between equal variants and sends A to the rest", { timeout: 120_000 }, async () => {
    const setup = await makeSendingSetup(db(), { count: 2_000, quota: null });
    const task = await createTask(setup.ctx, taskInput(setup, { abTest: twoSubjects({ sharePercent: 30, waitHours: 1 }) }));
    await drain();
    await advanceAbTests(db());
    // Seed 28 keeps |z| under 0.5 for any share of 520 to 680 (the share's size varies with the task's id): far from a winner.
    await openTestShare(task.id, [0.2, 0.2], 28);
    await db().update(tasks).set({ abDecideAt: new Date(Date.now() - 1_000) }).where(eq(tasks.id, task.id));
    await drain();

    const { decision, status } = await phaseOf(task.id);
    expect(status).toBe("completed");
    expect(decision).toMatchObject({ chosen: 0, chosenBy: "rule", rule: { clear: false, reason: "noClearWinner" } });
    const mail = received(task.id);
    expect(mail.size).toBe(2_000);
    const rest = await db().select({ email: deliveries.email }).from(deliveries).where(and(eq(deliveries.taskId, task.id), sql`${deliveries.variant} is null`));
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.filter((row) => !mail.get(row.email)![0]!.startsWith("Spring news for "))).toEqual([]);
  });

  describe("chosen by hand", () => {
    let setup: SendingSetup;
    let taskId: string;

    beforeAll(async () => {
      setup = await makeSendingSetup(db(), { count: 60, quota: null });
      const variants = [{}, { fromName: "The Spring Team" }, { subject: "Last chance, {{ name }}" }];
      taskId = (await createTask(setup.ctx, taskInput(setup, { abTest: { variants, sharePercent: 50, metric: "clicks", waitHours: 2, winnerBy: "hand" } }))).id;
      await drain();
    });

    it("is refused until the share has been answered, then sends the chosen variant to the rest; the rule never decides it", async () => {
      const user = await makeUser(db(), "department", { departmentId: setup.departmentId });
      const ctx = { db: db(), actor: actorFor(user, "department", setup.departmentId) };
      expect(await rejection(chooseAbWinner(ctx, taskId, 2), AppError)).toMatchObject({ code: "conflict", reason: "abTestStillSending" });
      await advanceAbTests(db());
      // Long after the wait, the rule still leaves a hand-chosen test alone.
      expect((await advanceAbTests(db(), new Date(Date.now() + 5 * HOUR))).decided).toEqual([]);
      expect(await rejection(chooseAbWinner(ctx, taskId, 3), AppError)).toMatchObject({ code: "invalid_input", reason: "abVariantUnknown", field: "variant" });

      const other = await makeSendingSetup(db(), { count: 1 });
      const stranger = await makeUser(db(), "department", { departmentId: other.departmentId });
      expect(await rejection(chooseAbWinner({ db: db(), actor: actorFor(stranger, "department", other.departmentId) }, taskId, 2), AppError)).toMatchObject({ code: "forbidden" });

      const chosen = await chooseAbWinner(ctx, taskId, 2);
      // Ten a variant is too few for the rule to say anything: it would have sent A.
      expect(chosen.abTest!.decision).toMatchObject({ chosen: "C", chosenBy: user.email, rule: { winner: "A", reason: "tooFewSent" } });
      expect(await rejection(chooseAbWinner(ctx, taskId, 1), AppError)).toMatchObject({ code: "conflict", reason: "abNotWaiting" });
      const [audit] = await db().select().from(auditLog).where(and(eq(auditLog.action, "task.ab_winner"), eq(auditLog.objectId, taskId)));
      expect(audit).toMatchObject({ operatorLabel: ctx.actor.label, summaryKey: "task.abWinner", summaryParams: { values: { variant: "C", rule: "A" } } });

      await drain();
      const mail = received(taskId);
      expect(mail.size).toBe(60);
      const rows = await db().select({ email: deliveries.email, variant: deliveries.variant }).from(deliveries).where(eq(deliveries.taskId, taskId));
      const senderOf = (email: string) => /^From: (.*)$/m.exec(sink.messages.find((message) => message.envelope.rcptTo.includes(email) && message.raw.includes(taskId))!.raw.toString("latin1"))![1]!;
      expect(rows.filter((row) => row.variant === 1).every((row) => senderOf(row.email).includes("The Spring Team <news@"))).toBe(true);
      expect(rows.filter((row) => row.variant === 0).every((row) => senderOf(row.email).includes("Fanout News <news@"))).toBe(true);
      expect(rows.filter((row) => row.variant === null).every((row) => mail.get(row.email)![0]!.startsWith("Last chance, "))).toBe(true);
      expect((await phaseOf(taskId)).status).toBe("completed");
    });
  });

  it("refuses a test it cannot run, naming the field, and writes nothing", async () => {
    const setup = await makeSendingSetup(db(), { count: 5 });
    const refuse = (abTest: AbTestInput, extra = {}) => rejection(createTask(setup.ctx, taskInput(setup, { abTest, ...extra })), AppError);
    expect(await refuse(twoSubjects({ variants: [{ subject: "Only one" }] }))).toMatchObject({ reason: "abVariantCount", field: "abTest.variants" });
    expect(await refuse(twoSubjects({ variants: [{}, { subject: "Hello {{ name }}" }] }))).toMatchObject({ reason: "abVariantSame", field: "abTest.variants", params: { variant: "B", same: "A" } });
    expect(await refuse(twoSubjects({ variants: [{}, { subject: "Broken {{ name " }] }))).toMatchObject({ field: "abTest.variants", params: { variant: "B" } });
    expect(await refuse(twoSubjects({ variants: [{}, { subject: "Two\nlines" }] }))).toMatchObject({ reason: "abVariantSubjectInvalid" });
    expect(await refuse(twoSubjects({ variants: [{}, { templateVersion: 9 }] }))).toMatchObject({ reason: "abVariantVersionMissing", params: { variant: "B", version: 9 } });
    expect(await refuse(twoSubjects({ sharePercent: 80 }))).toMatchObject({ reason: "abShareOutOfRange", field: "abTest.sharePercent" });
    expect(await refuse(twoSubjects({ waitHours: 0 }))).toMatchObject({ reason: "abWaitOutOfRange", field: "abTest.waitHours" });
    expect(await refuse(twoSubjects(), { limit: 3 })).toMatchObject({ reason: "abTestWithLimit", field: "limit" });
    const [row] = await queryRows<{ n: number }>(db(), sql`select count(*)::int as n from tasks where department_id = ${setup.departmentId}`);
    expect(row!.n).toBe(0);
  });

  it("under Inngest: the reconciler starts the wait, and the winner function decides once it is over and has the rest sent", { timeout: 60_000 }, async () => {
    const setup = await makeSendingSetup(db(), { count: 100, quota: null });
    const task = await createTask(setup.ctx, taskInput(setup, { abTest: twoSubjects({ sharePercent: 40, waitHours: 1 }) }));
    await drain();
    const transport = createSmtpTransport({ url: sink.url });
    const functions = createFunctions(async () => ({ db: db(), transport, config: testSendingConfig() }));
    try {
      const reconciled = await new InngestTestEngine({ function: functions.reconciler, events: [{ name: "inngest/scheduled.timer", data: {} }], steps: [sent("recover")] }).execute();
      expect(reconciled.error).toBeUndefined();
      const { decideAt } = await phaseOf(task.id);
      const waitEvent = { name: AB_TEST_WAITING, data: { taskId: task.id, decideAt: decideAt!.toISOString() } };
      expect(reconciled.ctx.step.sendEvent).toHaveBeenCalledWith("recover", expect.arrayContaining([expect.objectContaining(waitEvent)]));

      // Woken before its time (here the sleep is the test engine's): nothing decided.
      const early = await new InngestTestEngine({ function: functions.abTestWinner, events: [waitEvent], steps: [slept("wait-for-the-test"), sent("send-the-rest")] }).execute();
      expect(early.result).toMatchObject({ decided: false });
      expect(early.ctx.step.sleepUntil).toHaveBeenCalledWith("wait-for-the-test", decideAt!.toISOString());
      expect((await phaseOf(task.id)).phase).toBe("waiting");

      await db().update(tasks).set({ abDecideAt: new Date(Date.now() - 1_000) }).where(eq(tasks.id, task.id));
      const due = await new InngestTestEngine({ function: functions.abTestWinner, events: [waitEvent], steps: [slept("wait-for-the-test"), sent("send-the-rest")] }).execute();
      expect(due.result).toMatchObject({ decided: true, chosen: 0 });
      expect(due.ctx.step.sendEvent).toHaveBeenCalledWith("send-the-rest", expect.objectContaining({ name: TASK_EVENTS.resumed, data: { taskId: task.id } }));
      expect((await phaseOf(task.id)).phase).toBe("rest");
    } finally {
      await transport.close();
    }
    await drain();
    expect(received(task.id).size).toBe(100);
  });
});
