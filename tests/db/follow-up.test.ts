import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { GET as clickRoute } from "@/app/t/c/[token]/route";
import { GET as pixelRoute } from "@/app/t/o/[token]/route";
import { auditLog, deliveries, departments, tasks } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { AppError } from "@/lib/errors";
import { addSuppressions } from "@/lib/pools/suppression";
import { createFollowUp, followUpOffer } from "@/lib/sending/follow-up";
import { taskDetail } from "@/lib/sending/task-pages";
import { LocalRunner } from "@/lib/sending/runner";
import { createTask, updateTask } from "@/lib/sending/tasks";
import { createSmtpTransport } from "@/lib/transports";
import { publicBaseUrl } from "@/lib/transports/system-mail";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeUser } from "../helpers/factories";
import { rejection } from "../helpers/rejection";
import { makeSendingSetup, taskInput, testSendingConfig, type SendingSetup } from "../helpers/sending";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

vi.mock("next/headers", () => import("../helpers/next-headers"));

/*
 * Resend to non-openers (issue 18): a completed task's follow-up goes, when it starts, to those the
 * task sent to who have not opened it, as the tracking routes recorded people's opens and clicks.
 */

const PERSON = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
const APPLE_PREFETCH = "Mozilla/5.0";
/** Named "Person 0" … "Person 6" by makeSendingSetup, in this order. */
const PEOPLE = ["ann", "bob", "cai", "dan", "eve", "fay", "gus"].map((name) => `${name}@follow.test`);

describeOnDatabases("resend to non-openers", (db) => {
  let sink: SmtpSink;
  let setup: SendingSetup;
  let ctx: Ctx;
  let originalId: string;

  async function drain() {
    const engine = new LocalRunner(db(), { transport: createSmtpTransport({ url: sink.url }), config: testSendingConfig(), log: () => undefined });
    try {
      await engine.drain();
    } finally {
      await engine.stop();
    }
  }

  /** Each recipient's received message of `taskId`, by address. */
  async function received(taskId: string) {
    const rows = await db().select({ id: deliveries.id, email: deliveries.email }).from(deliveries).where(eq(deliveries.taskId, taskId));
    const byAddress = new Map<string, { subject: string; html: string }>();
    for (const message of sink.messages) {
      const mail = await message.parse();
      const row = rows.find((candidate) => mail.messageId?.startsWith(`<${taskId}.${candidate.id}@`));
      if (row) byAddress.set(row.email, { subject: mail.subject ?? "", html: typeof mail.html === "string" ? mail.html : "" });
    }
    return byAddress;
  }

  const visit = (url: string, userAgent: string) => new Request(url, { headers: { "user-agent": userAgent, "x-fanout-peer": "203.0.113.5" } });
  const tokenAfter = (url: string, kind: string) => url.slice(`${publicBaseUrl()}/${kind}/`.length);
  const pixelOf = (html: string) => /<img src="([^"]+\/t\/o\/[^"]+)"/.exec(html)![1]!;
  const offerLinkOf = (html: string) => [...html.matchAll(/href="([^"]+\/t\/c\/[^"]+)"/g)].map((match) => match[1]!.replaceAll("&amp;", "&"))[0]!;

  beforeAll(async () => {
    sink = await startSmtpSink();
    setup = await makeSendingSetup(db(), { emails: PEOPLE, quota: 100 });
    const user = await makeUser(db(), "department", { departmentId: setup.departmentId });
    ctx = { db: db(), actor: actorFor(user, "department", setup.departmentId) };
    originalId = (await createTask(ctx, taskInput(setup, { name: "Spring letter" }))).id;
    await drain();
    const mail = await received(originalId);
    expect(mail.size).toBe(PEOPLE.length);
    // Read an hour after the send: earlier visits are taken for prefetchers and scanners.
    await db().update(deliveries).set({ sentAt: new Date(Date.now() - 3_600_000) }).where(eq(deliveries.taskId, originalId));
    const open = (address: string, userAgent = PERSON) => pixelRoute(visit(pixelOf(mail.get(address)!.html), userAgent), { params: Promise.resolve({ token: tokenAfter(pixelOf(mail.get(address)!.html), "t/o") }) });
    // ann and bob opened; cai clicked with images off (a click is an open); dan's "open" was Apple's prefetch, a machine.
    await open("ann@follow.test");
    await open("bob@follow.test");
    const link = offerLinkOf(mail.get("cai@follow.test")!.html);
    expect((await clickRoute(visit(link, PERSON), { params: Promise.resolve({ token: tokenAfter(link, "t/c") }) })).status).toBe(302);
    await open("dan@follow.test", APPLE_PREFETCH);
    sink.reset();
  });
  afterAll(async () => {
    await sink?.close();
  });

  it("sends the task's message again, under a new subject, to exactly those who had not opened it when the follow-up starts", async () => {
    const offer = await followUpOffer(ctx, originalId);
    // dan (a machine's open), eve, fay and gus.
    expect(offer).toEqual({ available: true, nonOpeners: 4, subject: "Hello {{ name }}" });
    const quotaBefore = await reservedQuota();
    const followUp = await createFollowUp(ctx, originalId, { subject: "In case you missed it, {{ name }}", afterDays: 0 });
    expect(followUp).toMatchObject({ name: "Spring letter · follow-up", followUpOf: originalId, subject: "In case you missed it, {{ name }}", status: "scheduled", reserved: 4, poolIds: [], templateVersion: 1 });
    expect(await reservedQuota()).toBe(quotaBefore + 4);
    const [audit] = await db().select().from(auditLog).where(eq(auditLog.objectId, followUp.id));
    expect(audit).toMatchObject({ action: "task.follow_up", operatorLabel: ctx.actor.label });

    // fay opens before the follow-up starts, and gus unsubscribes meanwhile (on the suppression list): neither gets it.
    const [fay] = await db().select({ id: deliveries.id }).from(deliveries).where(eq(deliveries.email, "fay@follow.test"));
    await db().update(deliveries).set({ firstOpenAt: new Date() }).where(eq(deliveries.id, fay!.id));
    await addSuppressions(ctx, { departmentId: setup.departmentId, addresses: "gus@follow.test", reason: "manual" });

    await drain();
    const resent = await received(followUp.id);
    expect([...resent.keys()].sort()).toEqual(["dan@follow.test", "eve@follow.test"]);
    expect(resent.get("eve@follow.test")!.subject).toBe("In case you missed it, Person 4");
    // The same message as before: the template version's body, with its own tracking links.
    expect(resent.get("eve@follow.test")!.html).toContain("Dear Person 4");
    expect(resent.get("eve@follow.test")!.html).toMatch(/\/t\/o\//);
    expect(sink.messages).toHaveLength(2);
    const [row] = await db().select().from(tasks).where(eq(tasks.id, followUp.id));
    expect(row).toMatchObject({ status: "completed", total: 3, sent: 2, suppressed: 1, reserved: 0 });
    // What was reserved and not needed (fay) came back; two were used.
    expect(await reservedQuota()).toBe(quotaBefore);

    const detail = await taskDetail(ctx, followUp.id);
    expect(detail.followUpOf).toEqual({ id: originalId, name: "Spring letter" });
    // A follow-up is itself a completed, tracked task: it can be followed up too.
    expect(await followUpOffer(ctx, followUp.id)).toEqual({ available: true, nonOpeners: 2, subject: "In case you missed it, {{ name }}" });
  });

  it("takes the name given, keeps the original subject when none is given, and waits the given days after the task finished", async () => {
    const [original] = await db().select({ finishedAt: tasks.finishedAt }).from(tasks).where(eq(tasks.id, originalId));
    const later = await createFollowUp(ctx, originalId, { name: "  Last call ", subject: "  ", afterDays: 3 });
    expect(later).toMatchObject({ name: "Last call", subject: null });
    expect(new Date(later.scheduledAt).getTime()).toBe(original!.finishedAt!.getTime() + 3 * 86_400_000);
    // Its audience is not pools: an edit is refused, and nothing changed.
    expect(await rejection(updateTask(ctx, later.id, taskInput(setup)), AppError)).toMatchObject({ code: "conflict", reason: "followUpFixed" });
    const [unchanged] = await db().select({ poolIds: tasks.poolIds, followUpOf: tasks.followUpOf }).from(tasks).where(eq(tasks.id, later.id));
    expect(unchanged).toEqual({ poolIds: [], followUpOf: originalId });
  });

  it("refuses a task that has not finished, one without open tracking, a bad subject or wait, and another department's task", async () => {
    const scheduled = await createTask(ctx, taskInput(setup, { scheduledAt: new Date(Date.now() + 86_400_000) }));
    expect(await rejection(createFollowUp(ctx, scheduled.id, { afterDays: 1 }), AppError)).toMatchObject({ code: "conflict", reason: "followUpNotCompleted" });
    expect(await followUpOffer(ctx, scheduled.id)).toEqual({ available: false });

    const untracked = await createTask(ctx, taskInput(setup, { tracking: false }));
    await drain();
    expect(await rejection(createFollowUp(ctx, untracked.id, { afterDays: 1 }), AppError)).toMatchObject({ code: "invalid_input", reason: "followUpNeedsTracking" });

    expect(await rejection(createFollowUp(ctx, originalId, { subject: "Hi {{ name", afterDays: 1 }), AppError)).toMatchObject({ code: "invalid_input", field: "subject" });
    expect(await rejection(createFollowUp(ctx, originalId, { subject: "two\nlines", afterDays: 1 }), AppError)).toMatchObject({ reason: "followUpSubjectInvalid", field: "subject" });
    expect(await rejection(createFollowUp(ctx, originalId, { afterDays: 31 }), AppError)).toMatchObject({ reason: "followUpDaysOutOfRange", field: "afterDays" });
    expect(await rejection(createFollowUp(ctx, originalId, { afterDays: 1.5 }), AppError)).toMatchObject({ reason: "followUpDaysOutOfRange" });

    const stranger = await makeSendingSetup(db(), { count: 1 });
    const strangerUser = await makeUser(db(), "department", { departmentId: stranger.departmentId });
    const theirs: Ctx = { db: db(), actor: actorFor(strangerUser, "department", stranger.departmentId) };
    const before = await db().select({ id: tasks.id }).from(tasks);
    expect(await rejection(createFollowUp(theirs, originalId, { afterDays: 0 }), AppError)).toMatchObject({ code: "forbidden" });
    expect(await rejection(followUpOffer(theirs, originalId), AppError)).toMatchObject({ code: "forbidden" });
    expect(await db().select({ id: tasks.id }).from(tasks)).toHaveLength(before.length);
  });

  async function reservedQuota() {
    const [row] = await db().select({ reserved: departments.quotaReserved }).from(departments).where(eq(departments.id, setup.departmentId));
    return row!.reserved;
  }
});
