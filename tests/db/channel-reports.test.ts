/**
 * Reports by channel (issue 21, decision 0090): mail and SMS sent through the real engine (SMTP
 * sink, fake Twilio), receipts and a TD reply through the real feedback paths, then the by-channel
 * figures, the channel filter, the delivery log and trail checked against hand-computed answers,
 * each department seeing only its own.
 */
import { eq } from "drizzle-orm";
import { expect, it, vi } from "vitest";
import { channelSuppressions, deliveries } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { createApiKey } from "@/lib/accounts/api-keys";
import { GET as failuresRoute } from "@/app/api/v1/stats/failures/route";
import { GET as sendsRoute } from "@/app/api/v1/stats/sends/route";
import { GET as exportRoute } from "@/app/(console)/reports/export/[table]/route";
import { createChannelTransport } from "@/lib/channels";
import { readEnv } from "@/lib/config/env";
import { applyChannelReceipt } from "@/lib/feedback/channel-feedback";
import { recordOpen } from "@/lib/feedback/tracking";
import { channelBreakdown } from "@/lib/reports/channels";
import { searchDeliveries } from "@/lib/reports/delivery-log";
import { exportDeliveries } from "@/lib/reports/delivery-export";
import { deliveryTrail } from "@/lib/reports/delivery-trail";
import { resolvePeriod } from "@/lib/reports/periods";
import { failureCategoriesPerDay, failureReport, reportSummary, sendReport } from "@/lib/reports/queries";
import { LocalRunner } from "@/lib/sending/runner";
import { listTasks } from "@/lib/sending/task-pages";
import { createTask } from "@/lib/sending/tasks";
import { createSmtpTransport } from "@/lib/transports";
import { addDays, zonedDate } from "@/lib/time/zone";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeUser, unique } from "../helpers/factories";
import { serveAs } from "../helpers/next-headers";
import { sessionCookieName } from "@/lib/auth/session";
import type { TwilioSent } from "../helpers/fake-twilio";
import { taskInput, testSendingConfig } from "../helpers/sending";
import { makeSmsSetup, postTwilioReply, smsTaskInput, twilioEnv, useSmsProviders, type SmsSetup } from "../helpers/sms-task";

vi.mock("next/headers", () => import("../helpers/next-headers"));

describeOnDatabases("reports by channel", (db) => {
  /** The fake SMS gateway and the SMTP sink the engine sends through. */
  const providers = useSmsProviders();
  const twilio = { get sent() { return providers.twilio().sent; }, get url() { return providers.twilio().url; } };
  const sink = { get messages() { return providers.sink().messages; }, get url() { return providers.sink().url; } };

  async function send(task: Promise<unknown>) {
    await task;
    const engine = new LocalRunner(db(), {
      transport: createSmtpTransport({ url: sink.url }),
      channels: { sms: createChannelTransport("sms", { env: twilioEnv(twilio.url) }) },
      config: testSendingConfig({ batchSize: 100 }),
      log: () => undefined,
    });
    try {
      await engine.drain();
    } finally {
      await engine.stop();
    }
  }

  /** Sends one SMS task of the setup and answers the texts it sent. */
  async function smsTask(setup: SmsSetup): Promise<{ taskId: string; texts: TwilioSent[] }> {
    const before = twilio.sent.length;
    const task = await createTask(setup.ctx, smsTaskInput(setup));
    await send(Promise.resolve());
    return { taskId: task.id, texts: twilio.sent.slice(before) };
  }

  async function replyTd(from: string) {
    expect((await postTwilioReply(from, "TD")).status).toBe(200);
  }

  async function departmentCtx(setup: SmsSetup): Promise<Ctx> {
    const user = await makeUser(db(), "department", { departmentId: setup.departmentId });
    return { db: db(), actor: actorFor(user, "department", setup.departmentId) };
  }

  it("counts each channel's sends, receipts, opens, replies and opt-outs, filters by channel, and keeps each department to its own", async () => {
    for (const [name, value] of Object.entries(twilioEnv(twilio.url))) vi.stubEnv(name, value);
    // Alpha: 3 contacts with phones and SMS consent, and one with an address only.
    const alpha = await makeSmsSetup(db(), { count: 3, quota: 100, extra: [{ email: `${unique("mail-only")}@example.net` }] });
    const beta = await makeSmsSetup(db(), { count: 2, quota: 100 });
    // Day boundaries: the period runs from yesterday to tomorrow, so an open a few minutes ahead is inside it.
    const today = zonedDate(new Date(), readEnv().timeZone);
    const range = resolvePeriod({ from: addDays(today, -1), to: addDays(today, 1) }, new Date(), readEnv().timeZone);

    // Mail: 4 messages to alpha's pool, one of them opened by a person.
    const mailBefore = sink.messages.length;
    const mailTask = await createTask(alpha.ctx, taskInput(alpha));
    await send(Promise.resolve());
    expect(sink.messages.length - mailBefore).toBe(4);
    const [mailed] = await db().select({ id: deliveries.id }).from(deliveries).where(eq(deliveries.taskId, mailTask.id)).limit(1);
    const opened = await recordOpen(db(), mailed!.id, { at: new Date(Date.now() + 5 * 60_000), userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537.36" });
    expect(opened).toMatchObject({ recorded: true, machine: false });

    // SMS: alpha's 3 numbers, one delivered, one failed with the carrier's reason, the third replies TD.
    const a = await smsTask(alpha);
    expect(a.texts.map((text) => text.to).sort()).toEqual([...alpha.phones].sort());
    // The replier's number is alpha's alone (beta's pool holds the first two): a reply belongs to the last text sent to its number.
    const replier = a.texts.find((text) => text.to === alpha.phones[2])!;
    const [delivered, failed] = a.texts.filter((text) => text !== replier) as [TwilioSent, TwilioSent];
    expect(await applyChannelReceipt(db(), "sms", { providerId: delivered.sid, status: "delivered", at: new Date() })).toBe("applied");
    expect(await applyChannelReceipt(db(), "sms", { providerId: failed.sid, status: "failed", at: new Date(), reason: "30003 Unreachable destination handset" })).toBe("applied");
    // Beta: 2 numbers, one failed for another reason.
    const b = await smsTask(beta);
    expect(await applyChannelReceipt(db(), "sms", { providerId: b.texts[0]!.sid, status: "failed", at: new Date(), reason: "30005 Unknown destination handset" })).toBe("applied");
    // The TD reply opts the number out in every department; alpha also takes one number off by hand.
    await replyTd(replier.to);
    await db().insert(channelSuppressions).values({ departmentId: alpha.departmentId, channel: "sms", address: "+8613900009999", reason: "opted_out", createdBy: "someone@example.com" });

    const alphaCtx = await departmentCtx(alpha);
    const alphaReport = await channelBreakdown(alphaCtx, range);
    expect(alphaReport.rows).toEqual([
      { channel: "email", sent: 4, delivered: 0, failed: 0, opened: 1, replies: null, optOuts: 0 },
      { channel: "sms", sent: 3, delivered: 1, failed: 1, opened: 0, replies: 1, optOuts: 2 },
    ]);
    expect(alphaReport.reasons).toEqual([{ channel: "sms", reason: "30003 Unreachable destination handset", failed: 1 }]);

    // The filter narrows every figure of the page to the channel.
    expect(await channelBreakdown(alphaCtx, range, "sms")).toEqual({ rows: [alphaReport.rows[1]], reasons: alphaReport.reasons });
    expect(await channelBreakdown(alphaCtx, range, "email")).toEqual({ rows: [alphaReport.rows[0]], reasons: [] });
    expect(await channelBreakdown(alphaCtx, range, "whatsapp")).toEqual({ rows: [], reasons: [] });
    expect(await reportSummary(alphaCtx, range)).toMatchObject({ sent: 7, delivered: 1, failed: 1, opened: 1 });
    expect(await reportSummary(alphaCtx, range, "sms")).toMatchObject({ sent: 3, delivered: 1, failed: 1, opened: 0 });
    expect(await reportSummary(alphaCtx, range, "email")).toMatchObject({ sent: 4, delivered: 0, failed: 0, opened: 1 });
    const smsRows = (await sendReport(alphaCtx, range, "sms")).rows;
    expect(smsRows.map((row) => [row.domain, row.sent])).toEqual([["sms", 3]]);
    expect((await sendReport(alphaCtx, range, "email")).rows.every((row) => row.domain !== "sms")).toBe(true);
    // The stats API takes the same filter; an unknown channel is refused on its field.
    const key = (await createApiKey(alpha.ctx, { name: unique("stats"), scope: { company: false, departmentId: alpha.departmentId } })).secret;
    const stats = (query: string) => sendsRoute(new Request(`http://fanout.test/api/v1/stats/sends?period=custom&from=${range.from}&to=${range.to}${query}`, { headers: { authorization: `Bearer ${key}` } }), { params: Promise.resolve({}) });
    const smsStats = (await (await stats("&channel=sms")).json()) as { total: number; rows: { domain: string; sent: number }[] };
    expect([smsStats.total, smsStats.rows.map((row) => [row.domain, row.sent])]).toEqual([3, [["sms", 3]]]);
    expect(((await (await stats("&channel=email")).json()) as { total: number }).total).toBe(4);
    expect(((await (await stats("")).json()) as { total: number }).total).toBe(7);
    const refused = await stats("&channel=fax");
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain("channel");

    // Beta sees its own sends and failure, and the opt-out the reply made in every department, not the reply.
    const betaReport = await channelBreakdown(await departmentCtx(beta), range);
    expect(betaReport).toEqual({
      rows: [{ channel: "sms", sent: 2, delivered: 0, failed: 1, opened: 0, replies: 0, optOuts: 1 }],
      reasons: [{ channel: "sms", reason: "30005 Unknown destination handset", failed: 1 }],
    });

    // The task list carries the channel; the delivery log the number; the trail the receipts and the reply.
    expect((await listTasks(alphaCtx)).tasks.map((task) => [task.id, task.channel]).sort()).toEqual([[mailTask.id, "email"], [a.taskId, "sms"]].sort());
    const log = await searchDeliveries(alphaCtx, { taskId: a.taskId });
    expect(log.rows.map((row) => [row.channel, row.address]).sort()).toEqual(alpha.phones.map((phone) => ["sms", phone]).sort());
    // The log's CSV ends with the channel and the number (a leading + is quoted, as every cell a spreadsheet would read as a formula).
    const csv: string[] = [];
    for await (const chunk of await exportDeliveries(alphaCtx, { taskId: a.taskId }, { timeZone: readEnv().timeZone })) csv.push(chunk);
    const [header, ...lines] = csv.join("").trim().split("\r\n");
    expect(header!.split(",").slice(-2)).toEqual(["channel", "number"]);
    expect(lines.map((line) => line.split(",").slice(-2).join(" ")).sort()).toEqual(alpha.phones.map((phone) => `sms '${phone}`).sort());
    const mailLog = await searchDeliveries(alphaCtx, { taskId: mailTask.id });
    expect(mailLog.rows.every((row) => row.channel === "email" && row.address === null)).toBe(true);

    const idOf = (phone: string) => log.rows.find((row) => row.address === phone)!.id;
    const failedTrail = await deliveryTrail(alphaCtx, idOf(failed.to));
    expect(failedTrail.delivery).toMatchObject({ channel: "sms", address: failed.to, segments: 2, status: "failed", error: "30003 Unreachable destination handset" });
    expect(failedTrail.timeline.filter((entry) => entry.kind === "event").map((entry) => entry.kind === "event" && [entry.type, entry.source])).toContainEqual(["failed", "channel"]);
    const deliveredTrail = await deliveryTrail(alphaCtx, idOf(delivered.to));
    expect(deliveredTrail.timeline.some((entry) => entry.kind === "event" && entry.type === "delivered" && entry.source === "channel")).toBe(true);
    expect(deliveredTrail.timeline.some((entry) => entry.kind === "event" && entry.type === "replied")).toBe(false);
    const replierTrail = await deliveryTrail(alphaCtx, idOf(replier.to));
    expect(replierTrail.timeline.map((entry) => (entry.kind === "event" ? entry.type : entry.kind))).toEqual(["queued", "answer", "replied"]);
    expect(replierTrail.timeline[2]).toMatchObject({ kind: "event", source: "channel", detail: expect.arrayContaining([["reply", "TD"]]) });

    // Another department's delivery is not found.
    await expect(deliveryTrail(await departmentCtx(beta), idOf(failed.to))).rejects.toMatchObject({ code: "not_found" });
  });

  it("reads failures by channel: mail's bounces apart from the texts' failures, on the page's queries, its CSV's and the stats API", async () => {
    for (const [name, value] of Object.entries(twilioEnv(twilio.url))) vi.stubEnv(name, value);
    // The sink refuses unknown@… with 550 5.1.1; the two contacts with phones get both a mail and a text.
    const bounceDomain = `${unique("bounce")}.example.org`;
    const setup = await makeSmsSetup(db(), { count: 2, quota: 100, extra: [{ email: `unknown@${bounceDomain}` }] });
    const today = zonedDate(new Date(), readEnv().timeZone);
    const range = resolvePeriod({ from: addDays(today, -1), to: addDays(today, 1) }, new Date(), readEnv().timeZone);
    await send(createTask(setup.ctx, taskInput(setup)));
    const { texts } = await smsTask(setup);
    expect(await applyChannelReceipt(db(), "sms", { providerId: texts[0]!.sid, status: "failed", at: new Date(), reason: "30003 Unreachable destination handset" })).toBe("applied");

    const ctx = await departmentCtx(setup);
    const failures = async (by: "sender" | "recipient", channel?: "email" | "sms" | "whatsapp") =>
      (await failureReport(ctx, range, by, channel)).rows.map((row) => [row.domain, row.failed]).sort();
    const all = await failures("sender");
    const mailDomain = all.find(([domain]) => domain !== "sms")![0];
    expect(all).toEqual([[mailDomain, 1], ["sms", 1]].sort());
    expect(await failures("sender", "email")).toEqual([[mailDomain, 1]]);
    expect(await failures("sender", "sms")).toEqual([["sms", 1]]);
    expect(await failures("recipient", "email")).toEqual([[bounceDomain, 1]]);
    expect(await failures("recipient", "sms")).toEqual([["sms", 1]]);
    expect(await failures("recipient", "whatsapp")).toEqual([]);
    const categories = async (channel: "email" | "sms") =>
      (await failureCategoriesPerDay(ctx, range, channel)).reduce((sum, day) => ({ userUnknown: sum.userUnknown + day.user_unknown, all: sum.all + day.user_unknown + day.mailbox_full + day.rejected + day.other }), { userUnknown: 0, all: 0 });
    expect(await categories("email")).toEqual({ userUnknown: 1, all: 1 });
    expect(await categories("sms")).toMatchObject({ userUnknown: 0, all: 1 });

    // The stats API and the page's CSV take the same filter.
    const key = (await createApiKey(setup.ctx, { name: unique("stats"), scope: { company: false, departmentId: setup.departmentId } })).secret;
    const stats = (query: string) =>
      failuresRoute(new Request(`http://fanout.test/api/v1/stats/failures?period=custom&from=${range.from}&to=${range.to}${query}`, { headers: { authorization: `Bearer ${key}` } }), { params: Promise.resolve({}) });
    const smsStats = (await (await stats("&by=recipient&channel=sms")).json()) as { total: number; rows: { domain: string }[] };
    expect([smsStats.total, smsStats.rows.map((row) => row.domain)]).toEqual([1, ["sms"]]);
    expect(((await (await stats("&channel=email")).json()) as { total: number }).total).toBe(1);
    expect(((await (await stats("")).json()) as { total: number }).total).toBe(2);
    const refused = await stats("&channel=fax");
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain("channel");
    const token = await serveAs(await makeUser(db(), "department", { departmentId: setup.departmentId }));
    const csvUrl = `http://fanout.test/reports/export/failures?period=custom&from=${range.from}&to=${range.to}&by=recipient&channel=email`;
    const csv = await (await exportRoute(new Request(csvUrl, { headers: { cookie: `${sessionCookieName()}=${token}` } }), { params: Promise.resolve({ table: "failures" }) })).text();
    expect(csv.trim().split("\r\n").slice(1).map((line) => line.split(",")[2])).toEqual([bounceDomain]);
  });
});
