import { InngestTestEngine } from "@inngest/test";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { GET as deliveryRoute } from "@/app/api/v1/deliveries/[id]/route";
import { POST as messagesRoute } from "@/app/api/v1/messages/route";
import { GET as taskDeliveriesRoute } from "@/app/api/v1/tasks/[id]/deliveries/route";
import { GET as clickRoute } from "@/app/t/c/[token]/route";
import { GET as pixelRoute } from "@/app/t/o/[token]/route";
import { queryRows } from "@/db/client";
import { auditLog, deliveries, messages, suppressions, tasks } from "@/db/schema";
import { TASK_EVENTS } from "@/inngest/events";
import { createFunctions } from "@/inngest/functions";
import { systemActor } from "@/lib/access/actor";
import { createApiKey } from "@/lib/accounts/api-keys";
import { LocalRunner } from "@/lib/sending/runner";
import { RateLimiter } from "@/lib/sending/throttle";
import { createTask } from "@/lib/sending/tasks";
import { createTemplate } from "@/lib/templates/store";
import { clickUrl, openPixelUrl } from "@/lib/tokens/delivery-links";
import { publicBaseUrl } from "@/lib/transports/system-mail";
import { createSmtpTransport } from "@/lib/transports";
import { describeOnDatabases } from "../helpers/db";
import { makeSendingSetup, taskInput, testSendingConfig, type SendingSetup } from "../helpers/sending";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

vi.mock("next/headers", () => import("../helpers/next-headers"));

type Json = Record<string, unknown> & { error?: { code: string; message: string; reason: string; params?: Record<string, unknown>; details?: Record<string, unknown> } };
type Answer = { deliveries: { id: string; email: string; status: string }[] };

const ORDER_TEMPLATE = {
  subject: "Order {{ order_id }} for {{ name }}",
  html: '<p>Dear {{ name }}, your order {{ order_id }} ships to {{ attributes.city }}.</p>{% if coupon %}<p>Coupon {{ coupon }}</p>{% endif %}<p><a href="https://shop.example.com/orders">Your orders</a></p>',
  text: "Order {{ order_id }} ships to {{ city }}.",
};
const PERSON = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

function post(key: string, body: unknown, idempotencyKey?: string) {
  return new Request("http://fanout.test/api/v1/messages", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "x-fanout-peer": "198.51.100.9", ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
function get(key: string, path: string) {
  return new Request(`http://fanout.test/api/v1${path}`, { headers: { authorization: `Bearer ${key}`, "x-fanout-peer": "198.51.100.9" } });
}
const noParams = { params: Promise.resolve({}) };
const params = (id: string) => ({ params: Promise.resolve({ id }) });

describeOnDatabases("transactional messages: POST /api/v1/messages and GET /api/v1/deliveries/{id}", (db) => {
  let sink: SmtpSink;
  let setup: SendingSetup;
  let other: SendingSetup;
  let key: string;
  let otherKey: string;
  let templateId: string;

  beforeAll(async () => {
    sink = await startSmtpSink();
    setup = await makeSendingSetup(db(), { count: 3, quota: 1_000 });
    other = await makeSendingSetup(db(), { count: 1 });
    key = await departmentKey(setup.departmentId);
    otherKey = await departmentKey(other.departmentId);
    templateId = (await createTemplate(setup.ctx, { name: "order shipped", departmentId: setup.departmentId, ...ORDER_TEMPLATE })).id;
  });
  afterAll(async () => {
    await sink?.close();
  });

  async function departmentKey(departmentId: string) {
    return (await createApiKey({ db: db(), actor: systemActor("test") }, { name: "shop", scope: { company: false, departmentId } })).secret;
  }
  function engine(options: { dataDelayMs?: number; transport?: ReturnType<typeof createSmtpTransport> } = {}) {
    return new LocalRunner(db(), { transport: options.transport ?? createSmtpTransport({ url: sink.url }), config: testSendingConfig({ maxAttempts: 1 }), log: () => undefined });
  }
  async function drain() {
    const runner = engine();
    try {
      await runner.drain();
    } finally {
      await runner.stop();
    }
  }
  async function send(body: unknown, options: { key?: string; idempotencyKey?: string } = {}) {
    const response = await messagesRoute(post(options.key ?? key, body, options.idempotencyKey), noParams);
    return { status: response.status, body: (await response.json()) as Answer & Json };
  }
  const order = (to: unknown, extra: Record<string, unknown> = {}) => ({ templateId, senderId: setup.senderId, to, ...extra });
  const receivedBy = (address: string) => sink.messages.filter((message) => message.envelope.rcptTo.includes(address));

  it("accepts a message for several recipients with their own data, answers delivery ids at once, and the engine sends each rendered with its data", async () => {
    const { status, body } = await send(
      order(
        [
          { email: "Ann@Orders.test", name: "Ann", data: { order_id: "A-1", city: "Berlin", coupon: "SPRING" } },
          { email: "bo@orders.test", name: "Bo", data: { order_id: "B-2", city: "上海" } },
        ],
        { fromName: "Shop" },
      ),
    );
    expect(status).toBe(202);
    expect(body.deliveries).toEqual([
      { id: expect.stringMatching(/^\d+$/), email: "ann@orders.test", status: "queued" },
      { id: expect.stringMatching(/^\d+$/), email: "bo@orders.test", status: "queued" },
    ]);
    const [task] = await db().select().from(tasks).where(eq(tasks.id, (await deliveryRow(body.deliveries[0]!.id)).taskId));
    expect(task).toMatchObject({ kind: "message", templateId, total: 2, queued: 2, reserved: 2, departmentId: setup.departmentId });
    const [audit] = await db().select().from(auditLog).where(eq(auditLog.objectId, task!.id));
    expect(audit).toMatchObject({ action: "message.send", departmentId: setup.departmentId, ip: "198.51.100.9", summary: "Accepted a message through the API for 2 recipients" });

    await drain();
    const ann = await receivedBy("ann@orders.test")[0]!.parse();
    expect(ann.subject).toBe("Order A-1 for Ann");
    expect(ann.html).toContain("your order A-1 ships to Berlin.");
    expect(ann.html).toContain("Coupon SPRING");
    expect(ann.text).toContain("Order A-1 ships to Berlin.");
    expect(ann.from?.value[0]).toMatchObject({ name: "Shop" });
    const bo = await receivedBy("bo@orders.test")[0]!.parse();
    expect(bo.subject).toBe("Order B-2 for Bo");
    expect(bo.html).not.toContain("Coupon");
    expect((await deliveryRow(body.deliveries[1]!.id)).status).toBe("sent");
    const [done] = await db().select().from(tasks).where(eq(tasks.id, task!.id));
    expect(done).toMatchObject({ status: "completed", sent: 2, reserved: 0 });
  });

  it("sends inline subject and html to one address with the request's data", async () => {
    const { status, body } = await send({ senderId: setup.senderId, to: "single@orders.test", subject: "Reset for {{ user }}", html: "<p>Code {{ code }}</p>", data: { user: "kim", code: 4711 } });
    expect(status).toBe(202);
    expect(body.deliveries).toEqual([{ id: expect.any(String), email: "single@orders.test", status: "queued" }]);
    await drain();
    const mail = await receivedBy("single@orders.test")[0]!.parse();
    expect(mail.subject).toBe("Reset for kim");
    expect(mail.html).toContain("Code 4711");
  });

  it("schedules a message with sendAt: nothing goes before its time, it goes after; more than 30 days ahead is refused", async () => {
    const sendAt = new Date(Date.now() + 1_500);
    const { status, body } = await send({ senderId: setup.senderId, to: "scheduled@orders.test", subject: "Later", html: "<p>Later</p>", sendAt: sendAt.toISOString() });
    expect(status).toBe(202);
    await drain();
    expect(receivedBy("scheduled@orders.test")).toHaveLength(0);
    const [waiting] = await db().select().from(tasks).where(eq(tasks.id, (await deliveryRow(body.deliveries[0]!.id)).taskId));
    expect(waiting).toMatchObject({ status: "scheduled", scheduledAt: sendAt });
    await new Promise((resolve) => setTimeout(resolve, sendAt.getTime() - Date.now() + 50));
    await drain();
    expect(receivedBy("scheduled@orders.test")).toHaveLength(1);

    const tooFar = await send({ senderId: setup.senderId, to: "scheduled@orders.test", subject: "Later", html: "<p>Later</p>", sendAt: new Date(Date.now() + 31 * 86_400_000).toISOString() });
    expect(tooFar.status).toBe(400);
    expect(tooFar.body.error).toMatchObject({ reason: "messageSendAtTooFar", details: { field: "sendAt" } });
  });

  it("the same Idempotency-Key twice at once sends once and answers both the same; the same body again answers the first answer; another body is 409; after 24 h the key is free", async () => {
    const body = order([{ email: "twice@orders.test", data: { order_id: "T-1", city: "Rome" } }]);
    const [first, second] = await Promise.all([send(body, { idempotencyKey: "order-T-1" }), send(body, { idempotencyKey: "order-T-1" })]);
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.body).toEqual(first.body);
    expect(await db().select().from(messages).where(eq(messages.idempotencyKey, "order-T-1"))).toHaveLength(1);

    // The same request written another way (keys in another order) is the same request.
    const reordered = JSON.stringify({ to: body.to, senderId: body.senderId, templateId: body.templateId });
    const again = await messagesRoute(post(key, reordered, "order-T-1"), noParams);
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual(first.body);

    const changed = await send(order([{ email: "twice@orders.test", data: { order_id: "T-2", city: "Rome" } }]), { idempotencyKey: "order-T-1" });
    expect(changed.status).toBe(409);
    expect(changed.body.error).toMatchObject({ code: "conflict", reason: "idempotencyKeyReused" });

    await drain();
    expect(receivedBy("twice@orders.test")).toHaveLength(1);
    // Another department's key with the same Idempotency-Key is its own request.
    const theirs = await send({ senderId: other.senderId, to: "twice@orders.test", subject: "Hi", html: "<p>Hi</p>" }, { key: otherKey, idempotencyKey: "order-T-1" });
    expect(theirs.status).toBe(202);

    await db().execute(sql`update messages set created_at = now() - interval '25 hours' where idempotency_key = 'order-T-1' and department_id = ${setup.departmentId}`);
    const later = await send(body, { idempotencyKey: "order-T-1" });
    expect(later.status).toBe(202);
    expect(later.body.deliveries[0]!.id).not.toBe(first.body.deliveries[0]!.id);
    await drain();
    // The first send, the other department's, and this one.
    expect(receivedBy("twice@orders.test")).toHaveLength(3);
  });

  it("applies the department's quota and suppression list; transactional: true passes an unsubscribe but never a hard bounce or complaint", async () => {
    const tight = await makeSendingSetup(db(), { count: 1, quota: 1 });
    const tightKey = await departmentKey(tight.departmentId);
    const inline = { senderId: tight.senderId, subject: "Receipt", html: "<p>Thanks</p>" };
    const over = await send({ ...inline, to: [{ email: "q1@orders.test" }, { email: "q2@orders.test" }] }, { key: tightKey });
    expect(over.status).toBe(409);
    expect(over.body.error).toMatchObject({ code: "quota_exceeded" });
    expect(await db().select().from(tasks).where(eq(tasks.departmentId, tight.departmentId))).toHaveLength(0);

    await db()
      .insert(suppressions)
      .values([
        { departmentId: setup.departmentId, email: "gone@orders.test", reason: "unsubscribed" },
        { departmentId: setup.departmentId, email: "bounced@orders.test", reason: "hard_bounce" },
        { departmentId: setup.departmentId, email: "angry@orders.test", reason: "complaint" },
      ]);
    const recipients = ["gone", "bounced", "angry"].map((name) => ({ email: `${name}@orders.test` }));
    const marketing = await send({ senderId: setup.senderId, subject: "News", html: "<p>News</p>", to: recipients });
    expect(marketing.body.deliveries.map((row) => row.status)).toEqual(["suppressed", "suppressed", "suppressed"]);
    const receipt = await send({ senderId: setup.senderId, subject: "Your receipt", html: "<p>Receipt</p>", to: recipients, transactional: true });
    expect(receipt.body.deliveries.map((row) => row.status)).toEqual(["queued", "suppressed", "suppressed"]);

    // Suppression is checked again when sent: an unsubscribe that arrives after acceptance stops marketing mail, not a transactional one.
    const late = await send({ senderId: setup.senderId, subject: "News 2", html: "<p>News</p>", to: "late@orders.test" });
    const lateReceipt = await send({ senderId: setup.senderId, subject: "Receipt 2", html: "<p>Receipt</p>", to: "late@orders.test", transactional: true });
    await db().insert(suppressions).values({ departmentId: setup.departmentId, email: "late@orders.test", reason: "unsubscribed" });
    await drain();
    expect((await deliveryRow(late.body.deliveries[0]!.id)).status).toBe("suppressed");
    expect((await deliveryRow(lateReceipt.body.deliveries[0]!.id)).status).toBe("sent");
    expect(receivedBy("gone@orders.test").map((message) => message.raw.toString())).toEqual([expect.stringContaining("Your receipt")]);
    expect(receivedBy("bounced@orders.test")).toHaveLength(0);
    expect(receivedBy("angry@orders.test")).toHaveLength(0);
  });

  it("refuses bad input with what and where: unknown or other department's template or sender 404, 101 recipients 400, a bad address by its index, data that does not render 422 naming the variable", async () => {
    const unknownTemplate = await send(order("a@orders.test", { templateId: "00000000-0000-4000-8000-000000000000" }));
    expect(unknownTemplate.status).toBe(404);
    expect(unknownTemplate.body.error).toMatchObject({ code: "not_found", details: { field: "templateId" } });
    const otherTemplate = await send({ templateId: other.templateId, senderId: setup.senderId, to: "a@orders.test" });
    expect(otherTemplate.status).toBe(404);
    const otherSender = await send({ senderId: other.senderId, to: "a@orders.test", subject: "Hi", html: "<p>Hi</p>" });
    expect(otherSender.status).toBe(404);
    expect(otherSender.body.error).toMatchObject({ code: "not_found", details: { field: "senderId" } });

    const many = Array.from({ length: 101 }, (_, index) => ({ email: `r${index}@orders.test`, data: { order_id: "X", city: "Y" } }));
    const tooMany = await send(order(many));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toMatchObject({ code: "invalid_input", reason: "tooMany", details: { field: "to" } });

    const badAddress = await send(order([{ email: "ok@orders.test", data: { order_id: "1", city: "A" } }, { email: "ok2@orders.test" }, { email: "not an address" }]));
    expect(badAddress.status).toBe(400);
    expect(badAddress.body.error).toMatchObject({ reason: "messageRecipientInvalid", params: { index: 2, address: "not an address" }, details: { field: "to.2.email" } });
    expect(badAddress.body.error!.message).toContain("Recipient 2 (not an address)");

    const missing = await send(order([{ email: "ok@orders.test", data: { order_id: "1", city: "A" } }, { email: "nodata@orders.test", data: { city: "B" } }]));
    expect(missing.status).toBe(422);
    expect(missing.body.error).toMatchObject({ code: "unprocessable", reason: "messageDataMissing", params: { variable: "order_id", index: 1 }, details: { field: "to.1.data" } });
    expect(missing.body.error!.message).toBe("The template uses order_id, which the data of recipient 1 (nodata@orders.test) does not give");

    const companyKey = (await createApiKey({ db: db(), actor: systemActor("test") }, { name: "erp", scope: { company: true } })).secret;
    const noDepartment = await send(order("a@orders.test", { data: { order_id: 1, city: "x" } }), { key: companyKey });
    expect(noDepartment.status).toBe(400);
    expect(noDepartment.body.error).toMatchObject({ reason: "departmentRequired" });
    const named = await send(order("company@orders.test", { data: { order_id: 1, city: "x" }, departmentId: setup.departmentId }), { key: companyKey });
    expect(named.status).toBe(202);

    const both = await send(order("a@orders.test", { subject: "x", html: "<p>x</p>" }));
    expect(both.body.error).toMatchObject({ reason: "messageContentTwice" });
    const badKey = await send(order("a@orders.test", { data: { order_id: 1, city: "x" } }), { idempotencyKey: "has space" });
    expect(badKey.body.error).toMatchObject({ reason: "idempotencyKeyInvalid" });
    // Nothing of the refused requests was written.
    expect(await db().select().from(deliveries).where(eq(deliveries.email, "nodata@orders.test"))).toHaveLength(0);
  });

  it("answers a delivery with its opens and clicks by people and machines, in its own department only, and the task's list carries the same", async () => {
    const { body } = await send({ senderId: setup.senderId, to: "reader@orders.test", subject: "Tracked", html: '<p><a href="https://shop.example.com/track">Track</a></p>' });
    const id = body.deliveries[0]!.id;
    await drain();
    // Opens and clicks right after the send are prefetchers and scanners; a person reads later.
    await db().update(deliveries).set({ sentAt: new Date(Date.now() - 3_600_000) }).where(eq(deliveries.id, Number(id)));
    const hit = (url: string, userAgent: string) => new Request(url, { headers: { "user-agent": userAgent, "x-fanout-peer": "203.0.113.5" } });
    const token = (url: string, kind: string) => ({ params: Promise.resolve({ token: url.slice(`${publicBaseUrl()}/${kind}/`.length) }) });
    const pixel = openPixelUrl(Number(id));
    const link = clickUrl(Number(id), "https://shop.example.com/track");
    const html = (await receivedBy("reader@orders.test")[0]!.parse()).html as string;
    expect(html).toContain(pixel);
    expect(html).toContain(link);
    await pixelRoute(hit(pixel, PERSON), token(pixel, "t/o"));
    await pixelRoute(hit(pixel, PERSON), token(pixel, "t/o"));
    await pixelRoute(hit(pixel, "Mozilla/5.0"), token(pixel, "t/o"));
    expect((await clickRoute(hit(link, PERSON), token(link, "t/c"))).status).toBe(302);

    const response = await deliveryRoute(get(key, `/deliveries/${id}`), params(id));
    expect(response.status).toBe(200);
    const delivery = (await response.json()) as Json;
    expect(delivery).toMatchObject({ id, email: "reader@orders.test", status: "sent", opens: 2, clicks: 1, machineOpens: 1, machineClicks: 0, code: 250 });
    expect(Date.parse(delivery.sentAt as string)).toBeGreaterThan(0);
    expect(Date.parse(delivery.openedAt as string)).toBeGreaterThan(Date.parse(delivery.sentAt as string));
    expect(Date.parse(delivery.clickedAt as string)).toBeGreaterThan(0);

    const list = (await (await taskDeliveriesRoute(get(key, `/tasks/${delivery.taskId}/deliveries`), params(delivery.taskId as string))).json()) as { deliveries: Json[] };
    expect(list.deliveries[0]).toMatchObject({ id, opens: 2, clicks: 1, machineOpens: 1, openedAt: delivery.openedAt, clickedAt: delivery.clickedAt });

    expect((await deliveryRoute(get(otherKey, `/deliveries/${id}`), params(id))).status).toBe(404);
    expect((await deliveryRoute(get(key, "/deliveries/99999999999"), params("99999999999"))).status).toBe(404);
    expect((await deliveryRoute(get(key, "/deliveries/abc"), params("abc"))).status).toBe(404);
  });

  it("sends a message while a campaign is in flight without waiting for it (the priority lane)", async () => {
    const big = await makeSendingSetup(db(), { count: 400, quota: null });
    const slow = await startSmtpSink({ dataDelayMs: 20 });
    const runner = new LocalRunner(db(), { transport: createSmtpTransport({ url: slow.url, maxConnections: 2 }), config: testSendingConfig({ concurrency: 2 }), log: () => undefined }).start();
    try {
      const campaign = await createTask(big.ctx, taskInput(big));
      await slow.waitFor(20, 30_000);
      const bigKey = await departmentKey(big.departmentId);
      const { body } = await send({ senderId: big.senderId, to: "urgent@orders.test", subject: "Now", html: "<p>Now</p>" }, { key: bigKey });
      const deadline = Date.now() + 20_000;
      while ((await deliveryRow(body.deliveries[0]!.id)).status !== "sent" && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect((await deliveryRow(body.deliveries[0]!.id)).status).toBe("sent");
      const [progress] = await queryRows<{ status: string; queued: number }>(db(), sql`select status, queued from tasks where id = ${campaign.id}`);
      // The campaign is still sending: the message did not wait for it.
      expect(progress).toMatchObject({ status: "sending" });
      expect(progress!.queued).toBeGreaterThan(100);
    } finally {
      await runner.stop();
      await slow.close();
    }
  });

  it("under Inngest, a message is its own event and function (message-sender), which starts and sends it", async () => {
    const transport = createSmtpTransport({ url: sink.url });
    try {
      const config = testSendingConfig();
      const fns = createFunctions(async () => ({ db: db(), transport, config, limiter: new RateLimiter() }), { config });
      const { body } = await send({ senderId: setup.senderId, to: "inngest@orders.test", subject: "Via Inngest", html: "<p>Hi</p>" });
      const taskId = (await deliveryRow(body.deliveries[0]!.id)).taskId;
      const run = await new InngestTestEngine({ function: fns.messageSender, events: [{ name: TASK_EVENTS.message, data: { taskId } }] }).execute();
      expect(run.error).toBeUndefined();
      expect(run.result).toEqual({ taskId, turns: expect.any(Number) });
      expect(receivedBy("inngest@orders.test")).toHaveLength(1);
      expect((await deliveryRow(body.deliveries[0]!.id)).status).toBe("sent");
    } finally {
      await transport.close();
    }
  });

  async function deliveryRow(id: string) {
    const [row] = await db().select().from(deliveries).where(eq(deliveries.id, Number(id)));
    return row!;
  }
});
