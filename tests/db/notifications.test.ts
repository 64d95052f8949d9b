import crypto from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { notificationReads, notifications, senderDomains, templateVersions, webhookEndpoints } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { sendNotificationEmails } from "@/lib/notifications/email";
import { listNotifications, markAllNotificationsRead, markNotificationRead, setEmailPreference, unreadCount } from "@/lib/notifications/inbox";
import { createNotification } from "@/lib/notifications/create";
import type { Resolver } from "@/lib/senders/dns";
import { checkDomain } from "@/lib/senders/domains";
import { LocalRunner } from "@/lib/sending/runner";
import { createTask } from "@/lib/sending/tasks";
import { createSmtpTransport } from "@/lib/transports";
import { deliverDueWebhooks } from "@/lib/webhooks/deliver";
import { createWebhookEndpoint } from "@/lib/webhooks/endpoints";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeDepartment, makeUser } from "../helpers/factories";
import { makeSendingSetup, taskInput, testSendingConfig } from "../helpers/sending";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";
import { startWebhookReceiver } from "../helpers/webhook-receiver";

/** A zone where nothing is published: every check fails. */
const emptyZone: Resolver = {
  resolveTxt: async () => Promise.reject(Object.assign(new Error("queryTxt ENOTFOUND"), { code: "ENOTFOUND" })),
  resolveCname: async () => Promise.reject(Object.assign(new Error("queryCname ENOTFOUND"), { code: "ENOTFOUND" })),
  resolveMx: async () => Promise.reject(Object.assign(new Error("queryMx ENOTFOUND"), { code: "ENOTFOUND" })),
};

describeOnDatabases("notifications", (db) => {
  let sink: SmtpSink;
  const saved = { smtp: process.env.SMTP_URL, allow: process.env.FANOUT_WEBHOOKS_ALLOW_PRIVATE };
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterEach(() => {
    if (saved.smtp === undefined) delete process.env.SMTP_URL;
    else process.env.SMTP_URL = saved.smtp;
    if (saved.allow === undefined) delete process.env.FANOUT_WEBHOOKS_ALLOW_PRIVATE;
    else process.env.FANOUT_WEBHOOKS_ALLOW_PRIVATE = saved.allow;
  });
  afterAll(async () => {
    await sink?.close();
  });

  async function people() {
    const a = await makeDepartment(db());
    const b = await makeDepartment(db());
    const admin = await makeUser(db(), "admin");
    const userA = await makeUser(db(), "department", { departmentId: a.id });
    const userB = await makeUser(db(), "department", { departmentId: b.id });
    return {
      a,
      b,
      admin: { ...admin, ctx: { db: db(), actor: actorFor(admin, "admin") } as Ctx },
      userA: { ...userA, ctx: { db: db(), actor: actorFor(userA, "department", a.id) } as Ctx },
      userB: { ...userB, ctx: { db: db(), actor: actorFor(userB, "department", b.id) } as Ctx },
    };
  }

  const ofKind = async (kind: string, where: { departmentId?: string | null; link?: string } = {}) =>
    (await db().select().from(notifications).where(eq(notifications.kind, kind as "taskFailed"))).filter(
      (row) => (where.departmentId === undefined || row.departmentId === where.departmentId) && (where.link === undefined || row.link === where.link),
    );

  it("keeps each department's notifications to its users and admins, with read state per user; forged ids are refused", async () => {
    const { a, admin, userA, userB } = await people();
    const forA = await db().transaction((tx) => createNotification(tx, { departmentId: a.id, kind: "taskFailed", params: { task: "A", reason: "gone" }, link: "/tasks/x" }));
    const companyWide = await db().transaction((tx) => createNotification(tx, { departmentId: null, kind: "webhookDisabled", params: { url: "https://x.test", reason: "gone" }, link: "/webhooks" }));
    const seenByA = (await listNotifications(userA.ctx)).notifications.map((row) => row.id);
    expect(seenByA).toContain(forA);
    expect(seenByA).not.toContain(companyWide);
    expect((await listNotifications(userB.ctx)).notifications.map((row) => row.id)).not.toContain(forA);
    const seenByAdmin = (await listNotifications(admin.ctx)).notifications.map((row) => row.id);
    expect(seenByAdmin).toEqual(expect.arrayContaining([forA, companyWide]));
    // Department filter for admins.
    expect((await listNotifications(admin.ctx, { departmentId: a.id })).notifications.every((row) => row.departmentId === a.id)).toBe(true);

    const unreadA = await unreadCount(userA.ctx);
    expect(unreadA).toBeGreaterThanOrEqual(1);
    await expect(markNotificationRead(userB.ctx, forA!)).rejects.toMatchObject({ code: "forbidden" });
    await expect(markNotificationRead(userA.ctx, companyWide!)).rejects.toMatchObject({ code: "forbidden" });
    await expect(markAllNotificationsRead(userB.ctx, { departmentId: a.id })).rejects.toMatchObject({ code: "forbidden" });
    await expect(markNotificationRead(userA.ctx, crypto.randomUUID())).rejects.toMatchObject({ code: "not_found" });
    await expect(markNotificationRead(userA.ctx, "1 or 1=1")).rejects.toMatchObject({ code: "not_found" });
    expect(await db().select().from(notificationReads).where(eq(notificationReads.userId, userB.id))).toHaveLength(0);

    await markNotificationRead(userA.ctx, forA!);
    expect(await unreadCount(userA.ctx)).toBe(unreadA - 1);
    // The admin's own read state is untouched by A's.
    expect((await listNotifications(admin.ctx)).notifications.find((row) => row.id === forA)).toMatchObject({ read: false });
    await markAllNotificationsRead(admin.ctx);
    expect(await unreadCount(admin.ctx)).toBe(0);
    // An API key or the CLI has no bell.
    await expect(unreadCount({ db: db(), actor: { ...admin.ctx.actor, kind: "apikey" } })).rejects.toMatchObject({ code: "forbidden" });
  });

  it("notifies when the engine fails a task, when quota falls under 10% (once per allocation), and e-mails a copy to users who opted in", async () => {
    const { admin } = await people();
    process.env.SMTP_URL = sink.url;
    await setEmailPreference(admin.ctx, true);
    await sendNotificationEmails(db()); // whatever earlier tests left pending
    sink.reset();

    const setup = await makeSendingSetup(db(), { count: 19, quota: 20 });
    const member = await makeUser(db(), "department", { departmentId: setup.departmentId });
    const memberCtx: Ctx = { db: db(), actor: actorFor(member, "department", setup.departmentId) };
    const created = await createTask(setup.ctx, taskInput(setup));
    // 19 of 20 reserved: 1 left, under 10%.
    expect(await ofKind("quotaLow", { departmentId: setup.departmentId })).toHaveLength(1);
    // A further reservation of the same allocation: no second warning.
    await createTask(setup.ctx, taskInput(setup, { limit: 1 }));
    expect(await ofKind("quotaLow", { departmentId: setup.departmentId })).toHaveLength(1);
    await db().delete(templateVersions).where(eq(templateVersions.templateId, setup.templateId));
    const engine = new LocalRunner(db(), { transport: createSmtpTransport({ url: sink.url }), config: testSendingConfig(), log: () => undefined });
    try {
      await engine.drain();
    } finally {
      await engine.stop();
    }
    const [failed] = await ofKind("taskFailed", { link: `/tasks/${created.id}` });
    expect(failed).toMatchObject({ departmentId: setup.departmentId, params: expect.objectContaining({ task: created.name }) });
    expect((await listNotifications(memberCtx)).notifications.map((row) => row.kind)).toEqual(expect.arrayContaining(["taskFailed", "quotaLow"]));


    // Nobody calls for the copies: the running engine sends them on its own, beside its rounds.
    const mailer = new LocalRunner(db(), { transport: createSmtpTransport({ url: sink.url }), config: testSendingConfig(), log: () => undefined }).start();
    const toAdmin = () => sink.messages.filter((message) => message.envelope.rcptTo.includes(admin.email));
    const adminTexts = () => Promise.all(toAdmin().map(async (message) => (await message.parse()).text ?? ""));
    const failureCopy = (text: string) => text.includes(`Task “${created.name}” failed`) && text.includes(`/tasks/${created.id}`) && text.includes("任务");
    try {
      // Wait for the failure's copy itself: other notifications of the run (the quota's) may arrive first, in any order.
      for (let waited = 0; !(await adminTexts()).some(failureCopy) && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await mailer.stop();
    }
    expect(toAdmin().length).toBeGreaterThanOrEqual(2);
    expect((await adminTexts()).some(failureCopy)).toBe(true);
    // The department's own user did not opt in: nothing for them.
    expect(sink.messages.some((message) => message.envelope.rcptTo.includes(member.email))).toBe(false);
  });

  it("notifies once when a verified domain's DNS stops checking out", async () => {
    const setup = await makeSendingSetup(db(), { count: 1 });
    const [domain] = await db().select().from(senderDomains).where(eq(senderDomains.departmentId, setup.departmentId));
    await checkDomain(setup.ctx, domain!.id, emptyZone);
    await checkDomain(setup.ctx, domain!.id, emptyZone);
    const rows = await ofKind("domainDnsBroken", { departmentId: setup.departmentId });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ link: "/senders", params: expect.objectContaining({ domain: domain!.domain, records: expect.stringContaining("spf") }) });
  });

  it("notifies when delivery disables a webhook endpoint", async () => {
    process.env.FANOUT_WEBHOOKS_ALLOW_PRIVATE = "true";
    const receiver = await startWebhookReceiver();
    try {
      const setup = await makeSendingSetup(db(), { count: 1 });
      const endpoint = await createWebhookEndpoint(setup.ctx, { url: receiver.url, events: ["sent"], departmentId: setup.departmentId });
      receiver.answer(() => ({ status: 410, body: "gone" }));
      await createTask(setup.ctx, taskInput(setup));
      const engine = new LocalRunner(db(), { transport: createSmtpTransport({ url: sink.url }), config: testSendingConfig(), log: () => undefined });
      try {
        await engine.drain();
      } finally {
        await engine.stop();
      }
      await deliverDueWebhooks(db(), { limit: 10 });
      const rows = await ofKind("webhookDisabled", { departmentId: setup.departmentId });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ link: "/webhooks", params: expect.objectContaining({ url: receiver.url, reason: "gone", endpoint: endpoint.id }) });
    } finally {
      await receiver.close();
      await db().delete(webhookEndpoints).where(and(sql`true`));
    }
  });
});
