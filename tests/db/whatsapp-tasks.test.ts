/**
 * WhatsApp tasks through the send engine (issue 21, "Done means" 3): a template with two variables
 * is sent to each consenting contact once, through the fake Cloud API, with THAT contact's name and
 * city; quota is one unit a message; Meta's signed receipts move the deliveries to delivered and
 * read (a person's open); a template with free text only cannot make a task, and free text that
 * reaches the transport anyway fails with the transport's reason.
 */
import { and, eq, inArray } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, expect, it, vi } from "vitest";
import { auditLog, channelSuppressions, deliveries, deliveryEvents, departments, templates, templateVersions } from "@/db/schema";
import { POST as whatsappWebhook } from "@/app/api/webhooks/whatsapp/route";
import { POST as createTemplateRoute } from "@/app/api/v1/templates/route";
import { POST as createTaskRoute } from "@/app/api/v1/tasks/route";
import { systemActor } from "@/lib/access/actor";
import { createApiKey } from "@/lib/accounts/api-keys";
import { loadTemplate, saveTemplateVersion } from "@/lib/templates/store";
import { sessionCookieName } from "@/lib/auth/session";
import { taskFormOptions } from "@/lib/sending/task-pages";
import { makeUser, unique } from "../helpers/factories";
import { serveAs } from "../helpers/next-headers";
import { createChannelTransport } from "@/lib/channels";
import { AppError } from "@/lib/errors";
import type { ChannelTransports } from "@/lib/sending/channel";
import { LocalRunner } from "@/lib/sending/runner";
import { createTask, getTask } from "@/lib/sending/tasks";
import { createSmtpTransport } from "@/lib/transports";
import { describeOnDatabases } from "../helpers/db";
import { startFakeWhatsApp, type FakeWhatsApp, type WhatsAppSent } from "../helpers/fake-whatsapp";
import { rejection } from "../helpers/rejection";
import { taskInput, testSendingConfig } from "../helpers/sending";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";
import { APPROVED, makeWhatsAppSetup, signedWhatsAppRequest, WHATSAPP_ACCOUNT, whatsappEnv, whatsappPhone, whatsappTaskInput } from "../helpers/whatsapp-task";

/** The reason and field a task creation was refused with (always invalid_input here). */
async function refused(creating: Promise<unknown>): Promise<[string, string | undefined]> {
  const error = await rejection(creating, AppError);
  expect(error.code).toBe("invalid_input");
  return [error.reason, error.field];
}

vi.mock("next/headers", () => import("../helpers/next-headers"));

/** A console form as the browser posts it. */
function formData(fields: Record<string, string>) {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  return data;
}

type Parameter = { type: string; text: string };
type TemplatePayload = { name: string; language: { code: string }; components: { type: string; parameters: Parameter[] }[] };

describeOnDatabases("WhatsApp tasks", (db) => {
  let whatsapp: FakeWhatsApp;
  let sink: SmtpSink;
  beforeAll(async () => {
    [whatsapp, sink] = await Promise.all([startFakeWhatsApp(WHATSAPP_ACCOUNT), startSmtpSink()]);
  });
  afterAll(() => Promise.all([whatsapp?.close(), sink?.close()]));
  afterEach(() => void vi.unstubAllEnvs());

  /** WhatsApp configured on the server, as an operator sets it. */
  const configureWhatsApp = () => Object.entries(whatsappEnv(whatsapp.url)).forEach(([name, value]) => vi.stubEnv(name, value));

  async function drain(channels: ChannelTransports = { whatsapp: createChannelTransport("whatsapp", { env: whatsappEnv(whatsapp.url) }) }) {
    const engine = new LocalRunner(db(), { transport: createSmtpTransport({ url: sink.url }), channels, config: testSendingConfig({ batchSize: 10 }), log: () => undefined });
    try {
      await engine.drain();
    } finally {
      await engine.stop();
    }
  }

  /** The department's quota as [used, reserved]. */
  const quotaOf = async (departmentId: string) => {
    const rows = await db().select({ used: departments.quotaUsed, reserved: departments.quotaReserved }).from(departments).where(eq(departments.id, departmentId));
    return [rows[0]!.used, rows[0]!.reserved];
  };

  const templateOf = (message: WhatsAppSent) => message.payload.template as TemplatePayload;

  it("sends each consenting contact the approved template once, with its own name and city, and charges one unit each", async () => {
    configureWhatsApp();
    const [smsOnly, optedOut] = [whatsappPhone(900), whatsappPhone(901)];
    const setup = await makeWhatsAppSetup(db(), {
      count: 25,
      quota: 100,
      extra: [
        { email: "sms-only@wa.test", phone: smsOnly, channelConsent: ["sms"] },
        { email: "no-phone@wa.test", channelConsent: ["whatsapp"] },
        { email: "opted-out@wa.test", phone: optedOut, channelConsent: ["whatsapp"] },
      ],
    });
    await db().insert(channelSuppressions).values({ departmentId: setup.departmentId, channel: "whatsapp", address: optedOut, reason: "opted_out" });
    const sentBefore = whatsapp.sent.length;
    const created = await createTask(setup.ctx, whatsappTaskInput(setup));
    expect(created).toMatchObject({ channel: "whatsapp", senderId: null, reserved: 25 });
    await drain();

    const received = whatsapp.sent.slice(sentBefore);
    expect(received).toHaveLength(25);
    const byNumber = new Map(setup.contacts.map((contact) => [contact.phone.slice(1), contact]));
    expect(new Set(received.map((message) => message.to))).toEqual(new Set(byNumber.keys()));
    for (const message of received) {
      const contact = byNumber.get(message.to)!;
      expect(message.type).toBe("template");
      expect(templateOf(message)).toEqual({
        name: APPROVED.name,
        language: { code: APPROVED.language },
        components: [{ type: "body", parameters: [{ type: "text", text: contact.name }, { type: "text", text: contact.city }] }],
      });
    }

    const task = await getTask(setup.ctx, created.id);
    expect(task).toMatchObject({ status: "completed", total: 26, sent: 25, failed: 0, suppressed: 1, queued: 0, reserved: 0 });
    expect(task.note).toBe("2 contacts have no phone or no WhatsApp consent.");
    const rows = await db().select({ address: deliveries.address, segments: deliveries.segments, status: deliveries.status, providerId: deliveries.providerId }).from(deliveries).where(eq(deliveries.taskId, created.id));
    expect(rows.filter((row) => row.status === "sent").every((row) => row.segments === null && row.providerId?.startsWith("wamid."))).toBe(true);
    expect(rows.find((row) => row.address === optedOut)).toMatchObject({ status: "suppressed" });
    expect(rows.some((row) => row.address === smsOnly)).toBe(false);
    expect(await quotaOf(setup.departmentId)).toEqual([25, 0]);
  });

  it("moves deliveries to delivered and read through Meta's signed status webhooks; a forged one changes nothing", async () => {
    configureWhatsApp();
    const setup = await makeWhatsAppSetup(db(), { count: 3, quota: 10 });
    const sentBefore = whatsapp.sent.length;
    const created = await createTask(setup.ctx, whatsappTaskInput(setup));
    await drain();
    const [first, second, third] = whatsapp.sent.slice(sentBefore) as [WhatsAppSent, WhatsAppSent, WhatsAppSent];
    const status = (message: WhatsAppSent, value: string) =>
      whatsapp.notification({ statuses: [{ id: message.id, status: value, timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: message.to }] });

    const forged = await whatsappWebhook(signedWhatsAppRequest(status(first, "read"), "not the app secret"));
    expect(forged.status).toBe(401);
    expect(await getTask(setup.ctx, created.id)).toMatchObject({ delivered: 0, opened: 0 });

    for (const message of [first, second, third]) expect((await whatsappWebhook(signedWhatsAppRequest(status(message, "delivered")))).status).toBe(200);
    for (const message of [first, second]) expect((await whatsappWebhook(signedWhatsAppRequest(status(message, "read")))).status).toBe(200);
    // Meta repeats itself: the same read again is one open.
    expect((await whatsappWebhook(signedWhatsAppRequest(status(first, "read")))).status).toBe(200);

    expect(await getTask(setup.ctx, created.id)).toMatchObject({ sent: 3, delivered: 3, opened: 2 });
    const rows = await db().select({ id: deliveries.id, providerId: deliveries.providerId, status: deliveries.status, firstOpenAt: deliveries.firstOpenAt }).from(deliveries).where(eq(deliveries.taskId, created.id));
    expect(rows.every((row) => row.status === "delivered")).toBe(true);
    const read = rows.filter((row) => row.firstOpenAt !== null).map((row) => row.providerId);
    expect(read.sort()).toEqual([first.id, second.id].sort());
    const opens = await db()
      .select({ machine: deliveryEvents.machine, source: deliveryEvents.source, detail: deliveryEvents.detail })
      .from(deliveryEvents)
      .where(and(inArray(deliveryEvents.deliveryId, rows.map((row) => row.id)), eq(deliveryEvents.type, "opened")));
    expect(opens.length).toBeGreaterThanOrEqual(2);
    expect(opens.every((event) => !event.machine && event.source === "channel" && event.detail.readReceipt === "whatsapp")).toBe(true);
  });

  it("refuses a task whose template has free text only, with the reason, and WhatsApp tasks that name the wrong template or a sender", async () => {
    const setup = await makeWhatsAppSetup(db(), { count: 2, quota: 10 });
    vi.stubEnv("FANOUT_WHATSAPP_TOKEN", "");
    vi.stubEnv("FANOUT_WHATSAPP_PHONE_NUMBER_ID", "");
    expect(await refused(createTask(setup.ctx, whatsappTaskInput(setup)))).toEqual(["whatsappNotConfigured", "channel"]);
    configureWhatsApp();
    expect(await refused(createTask(setup.ctx, whatsappTaskInput(setup, { templateId: setup.freeTextTemplateId })))).toEqual(["whatsappTemplateRequired", "templateId"]);
    expect(await refused(createTask(setup.ctx, whatsappTaskInput(setup, { templateId: setup.templateId })))).toEqual(["templateNotWhatsApp", "templateId"]);
    expect(await refused(createTask(setup.ctx, whatsappTaskInput(setup, { senderId: setup.senderId })))).toEqual(["senderNotForWhatsApp", "senderId"]);
    expect(await refused(createTask(setup.ctx, taskInput(setup, { templateId: setup.whatsappTemplateId })))).toEqual(["templateIsWhatsApp", "templateId"]);
    expect(await quotaOf(setup.departmentId)).toEqual([0, 0]);
  });

  it("fails each delivery with the transport's reason when free text reaches it outside the window", async () => {
    configureWhatsApp();
    const setup = await makeWhatsAppSetup(db(), { count: 2, quota: 10 });
    const created = await createTask(setup.ctx, whatsappTaskInput(setup));
    // The frozen version loses its approved template after the task was accepted (as a row edited by hand would).
    await db().update(templateVersions).set({ whatsapp: null, text: "Hello {{ name }}" }).where(eq(templateVersions.templateId, setup.whatsappTemplateId));
    const sentBefore = whatsapp.sent.length;
    await drain();
    expect(whatsapp.sent.length).toBe(sentBefore);
    const rows = await db().select({ status: deliveries.status, error: deliveries.error }).from(deliveries).where(eq(deliveries.taskId, created.id));
    expect(rows).toHaveLength(2);
    expect(rows.every((row) => row.status === "failed" && row.error?.includes("Outside the 24-hour window a WhatsApp message must use an approved template"))).toBe(true);
    expect(await getTask(setup.ctx, created.id)).toMatchObject({ status: "completed", sent: 0, failed: 2 });
    // Charged as any final failure the transport answers is (mail's 5xx too): nothing is left reserved.
    expect(await quotaOf(setup.departmentId)).toEqual([2, 0]);
  });

  it("saves a WhatsApp template through the store and the API, refusing fields Meta would not take; the API then makes a WhatsApp task of it", async () => {
    configureWhatsApp();
    const setup = await makeWhatsAppSetup(db(), { count: 2, quota: 10 });
    const saved = await saveTemplateVersion(setup.ctx, setup.whatsappTemplateId, { name: "Pickup", subject: "ignored", html: "<p>ignored</p>", whatsapp: { ...APPROVED, variables: ["{{ name }}"] } });
    const template = await loadTemplate(setup.ctx, setup.whatsappTemplateId);
    expect(template).toMatchObject({ channel: "whatsapp", currentVersion: saved.version });
    expect(template.content).toMatchObject({ subject: "", html: "", whatsapp: { name: APPROVED.name, language: APPROVED.language, variables: ["{{ name }}"] } });
    const versionsBefore = await db().select({ version: templateVersions.version }).from(templateVersions).where(eq(templateVersions.templateId, setup.whatsappTemplateId));
    const bad = await rejection(saveTemplateVersion(setup.ctx, setup.whatsappTemplateId, { name: "Pickup", subject: "", html: "", whatsapp: { ...APPROVED, variables: ["{{ name | nosuchfilter }}"] } }), AppError);
    expect(bad).toMatchObject({ code: "invalid_input", reason: "whatsappVariableInvalid", field: "whatsapp.variables.0", params: { position: 1 } });
    expect(await db().select({ version: templateVersions.version }).from(templateVersions).where(eq(templateVersions.templateId, setup.whatsappTemplateId))).toHaveLength(versionsBefore.length);
    const audits = await db().select({ action: auditLog.action }).from(auditLog).where(and(eq(auditLog.objectId, setup.whatsappTemplateId), eq(auditLog.action, "template.update")));
    expect(audits).toHaveLength(1);

    const key = (await createApiKey({ db: db(), actor: systemActor("test") }, { name: "crm", scope: { company: false, departmentId: setup.departmentId } })).secret;
    const post = (path: string, body: unknown) =>
      new Request(`http://fanout.test/api/v1${path}`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    const noParams = { params: Promise.resolve({}) };
    const refusedByApi = await createTemplateRoute(post("/templates", { name: "Bad language", subject: "", html: "", channel: "whatsapp", whatsapp: { name: "order_ready", language: "english" } }), noParams);
    expect(refusedByApi.status).toBe(400);
    expect(((await refusedByApi.json()) as { error: { code: string } }).error.code).toBe("invalid_input");
    const created = await createTemplateRoute(post("/templates", { name: "From the CRM", subject: "", html: "", channel: "whatsapp", whatsapp: APPROVED }), noParams);
    expect(created.status).toBe(201);
    const { id: templateId } = (await created.json()) as { id: string };
    const [stored] = await db().select({ channel: templates.channel, whatsapp: templateVersions.whatsapp }).from(templates).innerJoin(templateVersions, eq(templateVersions.templateId, templates.id)).where(eq(templates.id, templateId));
    expect(stored).toEqual({ channel: "whatsapp", whatsapp: APPROVED });
    const task = await createTaskRoute(post("/tasks", { name: "CRM pickup", templateId, poolIds: [setup.poolId], channel: "whatsapp" }), noParams);
    expect(task.status).toBe(201);
    const freeText = await createTaskRoute(post("/tasks", { name: "CRM free text", templateId: setup.freeTextTemplateId, poolIds: [setup.poolId], channel: "whatsapp" }), noParams);
    expect(freeText.status).toBe(400);
    expect(((await freeText.json()) as { error: { message: string } }).error.message).toContain("Outside the 24-hour window WhatsApp takes only approved templates");
  });

  it("from the console: saves a WhatsApp template, offers the channel, counts whom WhatsApp reaches, and refuses a free-text task with the reason", async () => {
    configureWhatsApp();
    const setup = await makeWhatsAppSetup(db(), { count: 3, quota: 100, extra: [{ email: "mail-only@wa.test" }] });
    const admin = await makeUser(db(), "admin");
    const token = await serveAs(admin);
    const { saveTemplate } = await import("@/app/(console)/templates/actions");
    const bad = await saveTemplate({ id: undefined, departmentId: setup.departmentId, channel: "whatsapp", name: unique("console-wa"), subject: "", html: "", whatsapp: { name: "Order Ready", language: "en", variables: [] } });
    expect(bad.ok ? null : bad.error).toMatchObject({ reason: "whatsappNameInvalid", field: "whatsapp.name" });
    const saved = await saveTemplate({ id: undefined, departmentId: setup.departmentId, channel: "whatsapp", name: unique("console-wa"), subject: "", html: "", text: "", whatsapp: APPROVED });
    expect(saved.ok).toBe(true);
    const templateId = saved.ok ? (saved.data as { id: string }).id : "";

    const { POST: preview } = await import("@/app/(console)/templates/preview/route");
    const previewOf = async (variables: string[]) =>
      (
        await preview(
          new Request("http://fanout.test/templates/preview", {
            method: "POST",
            body: JSON.stringify({ subject: "", html: "", departmentId: setup.departmentId, whatsapp: { variables } }),
            headers: { "content-type": "application/json", cookie: `${sessionCookieName()}=${token}`, "sec-fetch-site": "same-origin", "x-fanout-peer": "198.51.100.7" },
          }),
          { params: Promise.resolve({}) },
        )
      ).json();
    expect(await previewOf(APPROVED.variables)).toMatchObject({ whatsapp: [expect.any(String), ""] });
    expect(await previewOf(["{{ name | nosuchfilter }}"])).toMatchObject({ whatsapp: null, refusal: { code: "invalid_input", reason: "whatsappVariableInvalid" } });

    expect(await taskFormOptions(setup.ctx)).toMatchObject({ whatsappConfigured: true });
    const { GET: audience } = await import("@/app/(console)/tasks/audience/route");
    const answer = await audience(
      new Request(`http://fanout.test/tasks/audience?department=${setup.departmentId}&pool=${setup.poolId}&channel=whatsapp`, {
        headers: { cookie: `${sessionCookieName()}=${token}`, "x-fanout-peer": "198.51.100.7" },
      }),
      { params: Promise.resolve({}) },
    );
    expect(await answer.json()).toEqual({ sendable: 3, suppressed: 0 });

    const { createTask: createAction, reviewTask } = await import("@/app/(console)/tasks/actions");
    const form = { departmentId: setup.departmentId, name: unique("console-wa-task"), channel: "whatsapp", templateId, audience: "pools", poolIds: setup.poolId, amount: "all", when: "now" };
    const reviewed = await reviewTask(formData(form));
    expect(reviewed.ok && { recipients: reviewed.data.recipients, sender: reviewed.data.sender }).toEqual({ recipients: 3, sender: null });
    const freeText = await createAction(formData({ ...form, templateId: setup.freeTextTemplateId }));
    expect(freeText.ok ? null : freeText.error).toMatchObject({ reason: "whatsappTemplateRequired", field: "templateId" });
    const created = await createAction(formData(form));
    expect(created.ok && created.data).toMatchObject({ channel: "whatsapp", senderId: null, templateId });
  });
});
