/**
 * SMS tasks through the send engine (issue 21, part 3; "Done means" 1): a task to 1,000
 * consenting contacts over the fake Twilio sends each number once, with its own rendered text and
 * the opt-out sentence, counts a 71-character Chinese text as 2 segments and charges quota by
 * segments; suppression is per channel; contacts without a phone or consent are not recipients.
 */
import { and, eq, inArray } from "drizzle-orm";
import { expect, it, vi } from "vitest";
import { channelSuppressions, deliveries, deliveryDaily, departments, suppressions, templates, templateVersions } from "@/db/schema";
import { applyChannelReceipt } from "@/lib/feedback/channel-feedback";
import { writeSetting } from "@/lib/accounts/settings";
import { createTemplate } from "@/lib/templates/store";
import { sessionCookieName } from "@/lib/auth/session";
import { createChannelTransport } from "@/lib/channels";
import { AppError } from "@/lib/errors";
import { smsSegments } from "@/lib/channels/sms-segments";
import type { ChannelTransports } from "@/lib/sending/channel";
import { planBatches, sendChainLink } from "@/lib/sending/batch-chains";
import { materializeStep, startTask } from "@/lib/sending/materialize";
import { LocalRunner } from "@/lib/sending/runner";
import { cancelTask, createTask, getTask } from "@/lib/sending/tasks";
import { createSmtpTransport } from "@/lib/transports";
import { describeOnDatabases } from "../helpers/db";
import { makeUser, unique } from "../helpers/factories";
import { serveAs } from "../helpers/next-headers";
import type { TwilioSent } from "../helpers/fake-twilio";
import { rejection } from "../helpers/rejection";
import { taskInput, testSendingConfig } from "../helpers/sending";
import { expectedSms, makeSmsSetup, postTwilioReply, SMS_BODY, SMS_TEMPLATE_TEXT, smsTaskInput, twilioEnv, useSmsProviders } from "../helpers/sms-task";

vi.mock("next/headers", () => import("../helpers/next-headers"));

/** What a refusal tells the caller: its code, reason and field. */
async function refusal(run: Promise<unknown>) {
  const error = await rejection(run, AppError);
  return { code: error.code, reason: error.reason, field: error.field };
}

describeOnDatabases("SMS tasks", (db) => {
  const providers = useSmsProviders();

  /** SMS configured on the server, as an operator sets it. */
  function configureSms() {
    for (const [name, value] of Object.entries(twilioEnv(providers.twilio().url))) vi.stubEnv(name, value);
  }

  function runner(channels: ChannelTransports = { sms: createChannelTransport("sms", { env: twilioEnv(providers.twilio().url) }) }) {
    return new LocalRunner(db(), { transport: createSmtpTransport({ url: providers.sink().url }), channels, config: testSendingConfig({ batchSize: 100 }), log: () => undefined });
  }

  async function drain(engine: LocalRunner) {
    try {
      await engine.drain();
    } finally {
      await engine.stop();
    }
  }

  async function quotaOf(departmentId: string) {
    const [row] = await db().select({ used: departments.quotaUsed, reserved: departments.quotaReserved }).from(departments).where(eq(departments.id, departmentId));
    return row!;
  }

  it("sends 1,000 consenting numbers one text each, 2 segments for 71 Chinese characters, and charges 2,000 to quota", async () => {
    configureSms();
    const setup = await makeSmsSetup(db(), {
      count: 1000,
      quota: 2500,
      extra: [
        { email: "no-consent@sms.test", phone: "+8613700000001" },
        { email: "no-phone@sms.test", channelConsent: ["sms"] },
      ],
    });
    const sentBefore = providers.twilio().sent.length;
    const created = await createTask(setup.ctx, smsTaskInput(setup));
    expect(created).toMatchObject({ channel: "sms", senderId: null });
    // Creating it reserves the estimate: the text for a contact without a name is 67 characters, 1 segment each.
    expect(created.reserved).toBe(1000);
    // Materialising renders each recipient's own text (71 characters) and reserves its segments before anything is sent.
    const engine = runner();
    await startTask(db(), created.id);
    expect(await materializeStep(db(), created.id, { ...engine.config, materializeStep: 5000 })).toMatchObject({ done: true, added: 1000 });
    expect((await getTask(setup.ctx, created.id)).reserved).toBe(2000);
    expect(await quotaOf(setup.departmentId)).toEqual({ used: 0, reserved: 2000 });
    expect(providers.twilio().sent.length).toBe(sentBefore);
    await drain(engine);

    const received = providers.twilio().sent.slice(sentBefore);
    expect(received).toHaveLength(1000);
    expect(new Set(received.map((message) => message.to)).size).toBe(1000);
    expect(new Set(received.map((message) => message.to))).toEqual(new Set(setup.phones));
    for (const message of received) expect(message.body).toBe(expectedSms(setup, message.to));
    expect(received.every((message) => message.from === "+15005550006")).toBe(true);
    expect([...new Set(received.map((message) => message.body.length))]).toEqual([71]);
    expect(smsSegments(received[0]!.body)).toMatchObject({ encoding: "UCS-2", characters: 71, segments: 2 });

    const task = await getTask(setup.ctx, created.id);
    expect(task).toMatchObject({ status: "completed", total: 1000, sent: 1000, failed: 0, suppressed: 0, queued: 0, reserved: 0 });
    expect(task.note).toBe("2 contacts have no phone or no SMS consent.");
    const rows = await db().select({ address: deliveries.address, segments: deliveries.segments, status: deliveries.status, providerId: deliveries.providerId }).from(deliveries).where(eq(deliveries.taskId, created.id));
    expect(rows).toHaveLength(1000);
    expect(rows.every((row) => row.segments === 2 && row.status === "sent" && row.providerId?.startsWith("SM"))).toBe(true);
    expect(new Set(rows.map((row) => row.address))).toEqual(new Set(setup.phones));
    expect(await quotaOf(setup.departmentId)).toEqual({ used: 2000, reserved: 0 });
  });

  it("suppresses an SMS-opted-out number on SMS only: it gets no text, and an e-mail task still reaches the contact", async () => {
    configureSms();
    const setup = await makeSmsSetup(db(), { count: 3, quota: 100 });
    const [optedOut, mailSuppressed, plain] = setup.phones as [string, string, string];
    await db().insert(channelSuppressions).values({ departmentId: setup.departmentId, channel: "sms", address: optedOut, reason: "opted_out" });
    // An e-mail suppression of another contact leaves its SMS alone.
    await db().insert(suppressions).values({ departmentId: setup.departmentId, email: setup.emails[1]!, reason: "manual" });
    const sentBefore = providers.twilio().sent.length;
    const smsTask = await createTask(setup.ctx, smsTaskInput(setup));
    expect(smsTask.reserved).toBe(2);
    await drain(runner());

    const texts = providers.twilio().sent.slice(sentBefore).map((message) => message.to);
    expect(texts.sort()).toEqual([mailSuppressed, plain].sort());
    const sms = await getTask(setup.ctx, smsTask.id);
    expect(sms).toMatchObject({ status: "completed", total: 3, sent: 2, suppressed: 1, reserved: 0 });
    const [suppressedRow] = await db().select().from(deliveries).where(and(eq(deliveries.taskId, smsTask.id), eq(deliveries.address, optedOut)));
    expect(suppressedRow).toMatchObject({ status: "suppressed", segments: null });
    expect(await quotaOf(setup.departmentId)).toEqual({ used: 4, reserved: 0 });

    const mailBefore = providers.sink().messages.length;
    const mailTask = await createTask(setup.ctx, taskInput(setup));
    await drain(runner());
    const mailed = providers.sink().messages.slice(mailBefore).map((message) => message.envelope.rcptTo[0]);
    expect(mailed.sort()).toEqual([setup.emails[0], setup.emails[2]].sort());
    expect(await getTask(setup.ctx, mailTask.id)).toMatchObject({ channel: "email", status: "completed", sent: 2, suppressed: 1 });
    expect(await quotaOf(setup.departmentId)).toEqual({ used: 6, reserved: 0 });
  });

  it("takes a number that replies TD through the webhook off SMS at once: the next SMS task skips it, and e-mail still reaches the contact", async () => {
    configureSms();
    const setup = await makeSmsSetup(db(), { count: 3, quota: 100 });
    const replier = setup.phones[0]!;
    const answer = await postTwilioReply(replier, "TD");
    expect(answer.status).toBe(200);

    const sentBefore = providers.twilio().sent.length;
    const smsTask = await createTask(setup.ctx, smsTaskInput(setup));
    await drain(runner());
    expect(providers.twilio().sent.slice(sentBefore).map((message) => message.to).sort()).toEqual(setup.phones.filter((phone) => phone !== replier).sort());
    expect(await getTask(setup.ctx, smsTask.id)).toMatchObject({ status: "completed", sent: 2, suppressed: 1 });

    const mailBefore = providers.sink().messages.length;
    await createTask(setup.ctx, taskInput(setup));
    await drain(runner());
    expect(providers.sink().messages.slice(mailBefore).map((message) => message.envelope.rcptTo[0]).sort()).toEqual([...setup.emails].sort());
  });

  it("refuses an SMS task with a mail template, a sender or no SMS configured, and a mail task with an SMS template", async () => {
    const setup = await makeSmsSetup(db(), { count: 2, quota: 100 });
    vi.stubEnv("FANOUT_SMS_PROVIDER", "");
    expect(await refusal(createTask(setup.ctx, smsTaskInput(setup)))).toEqual({ code: "invalid_input", reason: "smsNotConfigured", field: "channel" });
    configureSms();
    expect(await refusal(createTask(setup.ctx, smsTaskInput(setup, { templateId: setup.templateId })))).toEqual({ code: "invalid_input", reason: "templateNotSms", field: "templateId" });
    expect(await refusal(createTask(setup.ctx, smsTaskInput(setup, { senderId: setup.senderId })))).toEqual({ code: "invalid_input", reason: "senderNotForSms", field: "senderId" });
    expect(await refusal(createTask(setup.ctx, taskInput(setup, { templateId: setup.smsTemplateId })))).toEqual({ code: "invalid_input", reason: "templateNotEmail", field: "templateId" });
    expect(await quotaOf(setup.departmentId)).toEqual({ used: 0, reserved: 0 });
  });

  it("fails an SMS task with the reason when the engine has no SMS transport, giving its quota back", async () => {
    configureSms();
    const setup = await makeSmsSetup(db(), { count: 5, quota: 100 });
    const sentBefore = providers.twilio().sent.length;
    const created = await createTask(setup.ctx, smsTaskInput(setup));
    await drain(runner({}));
    const task = await getTask(setup.ctx, created.id);
    expect(task).toMatchObject({ status: "failed", sent: 0, queued: 0 });
    expect(task.note).toBe("The sms channel is not configured: set FANOUT_SMS_PROVIDER");
    expect(providers.twilio().sent.length).toBe(sentBefore);
    expect(await quotaOf(setup.departmentId)).toEqual({ used: 0, reserved: 0 });
  });

  it("appends the opt-out sentence by the number's country, and not at all when the company turns it off", async () => {
    configureSms();
    const setup = await makeSmsSetup(db(), { count: 1, quota: 100, extra: [{ email: "us@sms.test", phone: "+12025550123", channelConsent: ["sms"] }] });
    const sentBefore = providers.twilio().sent.length;
    await createTask(setup.ctx, smsTaskInput(setup));
    await drain(runner());
    const withSuffix = new Map(providers.twilio().sent.slice(sentBefore).map((message) => [message.to, message.body]));
    expect(withSuffix.get(setup.phones[0]!)).toBe(expectedSms(setup, setup.phones[0]!));
    expect(withSuffix.get("+12025550123")).toBe(`${SMS_BODY} Reply STOP to opt out`);

    await writeSetting(setup.ctx, "smsOptOutSuffix", false);
    try {
      const before = providers.twilio().sent.length;
      await createTask(setup.ctx, smsTaskInput(setup));
      await drain(runner());
      expect(providers.twilio().sent.slice(before).map((message) => message.body).sort()).toEqual([`${setup.names.get(setup.phones[0]!)}${SMS_BODY}`, SMS_BODY].sort());
    } finally {
      await writeSetting(setup.ctx, "smsOptOutSuffix", true);
    }
  });

  it("keeps an SMS template's text as the message, and refuses one without text", async () => {
    const setup = await makeSmsSetup(db(), { count: 0 });
    const [stored] = await db().select().from(templateVersions).where(eq(templateVersions.templateId, setup.smsTemplateId));
    expect(stored).toMatchObject({ subject: "", html: "", text: SMS_TEMPLATE_TEXT });
    const refused = await rejection(createTemplate(setup.ctx, { name: "empty sms", departmentId: setup.departmentId, channel: "sms", subject: "", html: "", text: " " }), AppError);
    expect({ reason: refused.reason, problem: refused.params.problem }).toEqual({ reason: "templateHasErrorsIn", problem: "lintTextEmpty" });
  });

  it("plans and sends an SMS task's batches as the Inngest functions do, paced by the SMS transport's batch", async () => {
    configureSms();
    const setup = await makeSmsSetup(db(), { count: 25, quota: 100 });
    const created = await createTask(setup.ctx, smsTaskInput(setup));
    const sms = createChannelTransport("sms", { env: twilioEnv(providers.twilio().url) });
    const deps = { db: db(), transport: createSmtpTransport({ url: providers.sink().url }), channels: { sms }, config: testSendingConfig({ batchSize: 10, concurrency: 4 }) };
    await startTask(db(), created.id);
    await materializeStep(db(), created.id, deps.config);
    expect(await planBatches(deps, created.id)).toEqual({ taskId: created.id, count: 3, transport: "twilio", domain: "sms" });
    await expect(planBatches({ ...deps, channels: {} }, created.id)).rejects.toThrow("The sms channel is not configured: set FANOUT_SMS_PROVIDER");
    const sentBefore = providers.twilio().sent.length;
    const links = [];
    for (let link = await sendChainLink(deps, created.id); ; link = await sendChainLink(deps, created.id)) {
      links.push(link.sent);
      if (link.next !== "batch") break;
    }
    expect(links).toEqual([10, 10, 5, 0]);
    expect(providers.twilio().sent.length - sentBefore).toBe(25);
    expect(await getTask(setup.ctx, created.id)).toMatchObject({ status: "completed", sent: 25 });
    await deps.transport.close();
  });

  it("gives back a cancelled SMS task's segments, keeping those of a batch in flight until the claim is over", async () => {
    configureSms();
    const setup = await makeSmsSetup(db(), { count: 5, quota: 100 });
    const created = await createTask(setup.ctx, smsTaskInput(setup));
    const engine = runner();
    await startTask(db(), created.id);
    await materializeStep(db(), created.id, engine.config);
    expect(await quotaOf(setup.departmentId)).toEqual({ used: 0, reserved: 10 });
    // Two rows claimed by a worker that then died.
    const claimed = (await db().select({ id: deliveries.id }).from(deliveries).where(eq(deliveries.taskId, created.id))).slice(0, 2).map((row) => row.id);
    await db().update(deliveries).set({ status: "sending", leaseUntil: new Date(Date.now() - 1000), claimToken: "dead-worker" }).where(inArray(deliveries.id, claimed));
    await cancelTask(setup.ctx, created.id);
    expect(await quotaOf(setup.departmentId)).toEqual({ used: 0, reserved: 4 });
    await drain(engine);
    expect(await getTask(setup.ctx, created.id)).toMatchObject({ status: "cancelled", queued: 0, cancelled: 5, sent: 0, reserved: 0 });
    expect(await quotaOf(setup.departmentId)).toEqual({ used: 0, reserved: 0 });
  });

  it("applies the provider's receipts to an SMS task's deliveries (no sender): delivered and failed counted on the task and in the rollups", async () => {
    configureSms();
    const setup = await makeSmsSetup(db(), { count: 2, quota: 100 });
    const sentBefore = providers.twilio().sent.length;
    const created = await createTask(setup.ctx, smsTaskInput(setup));
    await drain(runner());
    const [first, second] = providers.twilio().sent.slice(sentBefore) as [TwilioSent, TwilioSent];
    expect(await applyChannelReceipt(db(), "sms", { providerId: first.sid, status: "delivered", at: new Date() })).toBe("applied");
    expect(await applyChannelReceipt(db(), "sms", { providerId: second.sid, status: "failed", at: new Date(), reason: "30003 Unreachable destination handset" })).toBe("applied");
    const rows = await db().select({ address: deliveries.address, status: deliveries.status }).from(deliveries).where(eq(deliveries.taskId, created.id));
    expect(rows.sort((a, b) => a.address!.localeCompare(b.address!))).toEqual(
      [
        { address: first.to, status: "delivered" },
        { address: second.to, status: "failed" },
      ].sort((a, b) => a.address.localeCompare(b.address)),
    );
    expect(await getTask(setup.ctx, created.id)).toMatchObject({ sent: 2, delivered: 1, failed: 1 });
    const [rollup] = await db()
      .select({ sent: deliveryDaily.sent, delivered: deliveryDaily.delivered, failed: deliveryDaily.failed })
      .from(deliveryDaily)
      .where(and(eq(deliveryDaily.departmentId, setup.departmentId), eq(deliveryDaily.senderDomain, "sms"), eq(deliveryDaily.recipientDomain, "sms")));
    expect(rollup).toEqual({ sent: 2, delivered: 1, failed: 1 });
  });

  it("from the console: saves an SMS template, counts the audience SMS reaches, reviews and creates an SMS task without a sender", async () => {
    configureSms();
    const setup = await makeSmsSetup(db(), { count: 3, quota: 100, extra: [{ email: "mail-only@sms.test" }] });
    const admin = await makeUser(db(), "admin");
    const token = await serveAs(admin);
    const { saveTemplate } = await import("@/app/(console)/templates/actions");
    const saved = await saveTemplate({ id: undefined, departmentId: setup.departmentId, channel: "sms", name: unique("console-sms"), subject: "", html: "", text: "{{ name }}，周末八折" });
    expect(saved.ok).toBe(true);
    const templateId = saved.ok ? (saved.data as { id: string }).id : "";
    const [template] = await db().select({ channel: templates.channel }).from(templates).where(eq(templates.id, templateId));
    expect(template).toEqual({ channel: "sms" });

    const { GET: audience } = await import("@/app/(console)/tasks/audience/route");
    const count = async (channel: string) => (
        await audience(
          new Request(`http://fanout.test/tasks/audience?department=${setup.departmentId}&pool=${setup.poolId}&channel=${channel}`, {
            headers: { cookie: `${sessionCookieName()}=${token}`, "x-fanout-peer": "198.51.100.7" },
          }),
          { params: Promise.resolve({}) },
        )
      ).json();
    expect(await count("sms")).toEqual({ sendable: 3, suppressed: 0 });
    expect(await count("email")).toEqual({ sendable: 4, suppressed: 0 });

    const { createTask: createAction, reviewTask } = await import("@/app/(console)/tasks/actions");
    const form = { departmentId: setup.departmentId, name: unique("console-sms-task"), channel: "sms", templateId, audience: "pools", poolIds: setup.poolId, amount: "all", when: "now" };
    const reviewed = await reviewTask(posted(form));
    expect(reviewed.ok && { recipients: reviewed.data.recipients, sender: reviewed.data.sender, contentCheck: reviewed.data.contentCheck }).toEqual({ recipients: 3, sender: null, contentCheck: null });
    const created = await createAction(posted(form));
    expect(created.ok && created.data).toMatchObject({ channel: "sms", senderId: null, templateId });
    // An e-mail task from the same form still needs its sender, worded on the field.
    const mail = await createAction(posted({ ...form, channel: "email", templateId: setup.templateId }));
    expect(mail.ok ? null : mail.error).toMatchObject({ field: "senderId", reason: "required" });
  });
});

const posted = (fields: Record<string, string>) => {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  return data;
};
