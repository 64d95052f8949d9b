import { and, eq, sql } from "drizzle-orm";
import { Webhook } from "svix";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from "vitest";
import { queryRows } from "@/db/client";
import { auditLog, deliveries, webhookEndpoints, webhookMessages } from "@/db/schema";
import { GET as listWebhooksRoute, POST as createWebhookRoute } from "@/app/api/v1/webhooks/route";
import { POST as subscribeRoute } from "@/app/api/v1/subscribe/route";
import { POST as resendPost } from "@/app/api/webhooks/resend/route";
import { GET as clickRoute } from "@/app/t/c/[token]/route";
import { GET as pixelRoute } from "@/app/t/o/[token]/route";
import { POST as oneClickPost } from "@/app/u/[token]/one-click/route";
import { createApiKey } from "@/lib/accounts/api-keys";
import { writeSetting } from "@/lib/accounts/settings";
import { systemActor } from "@/lib/access/actor";
import { LocalRunner } from "@/lib/sending/runner";
import { createTask } from "@/lib/sending/tasks";
import { subscribe } from "@/lib/pools/subscribe";
import { clickUrl, openPixelUrl, unsubscribeLinks } from "@/lib/tokens/delivery-links";
import { publicBaseUrl } from "@/lib/transports/system-mail";
import { createResendTransport, createSmtpTransport } from "@/lib/transports";
import type { Transport } from "@/lib/transports/types";
import { deliverDueWebhooks, RETRY_WINDOW_MS } from "@/lib/webhooks/deliver";
import { createWebhookEndpoint, deleteWebhookEndpoint, listWebhookEndpoints, setWebhookEnabled } from "@/lib/webhooks/endpoints";
import { listWebhookMessages, replayWebhookMessage, sendTestWebhook } from "@/lib/webhooks/messages";
import { InngestTestEngine } from "@inngest/test";
import { createFunctions } from "@/inngest/functions";
import { RateLimiter } from "@/lib/sending/throttle";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";
import { startFakeResend, type FakeResend } from "../helpers/fake-resend";
import { makeSendingSetup, taskInput, testSendingConfig, type SendingSetup } from "../helpers/sending";
import { snapshotState } from "../helpers/snapshot";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver";

vi.mock("next/headers", () => import("../helpers/next-headers"));

const RESEND_SECRET = `whsec_${Buffer.from("fanout webhooks test resend secret").toString("base64")}`;
const PERSON = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
const ALL_KINDS = ["sent", "delivered", "bounced", "complained", "opened", "clicked", "unsubscribed", "subscribed"];
type Event = { type: string; createdAt: string; data: Record<string, unknown> & { email: string } };

describeOnDatabases("outgoing webhooks", (db) => {
  let sink: SmtpSink;
  let resend: FakeResend;
  let receiver: WebhookReceiver;
  const saved = { allow: process.env.FANOUT_WEBHOOKS_ALLOW_PRIVATE, resend: process.env.RESEND_WEBHOOK_SECRET };

  beforeAll(async () => {
    sink = await startSmtpSink();
    resend = await startFakeResend();
    process.env.RESEND_WEBHOOK_SECRET = RESEND_SECRET;
  });
  beforeEach(async () => {
    // The receivers of these tests listen on loopback, which only this setting lets a webhook reach.
    process.env.FANOUT_WEBHOOKS_ALLOW_PRIVATE = "true";
    receiver = await startWebhookReceiver();
  });
  afterEach(async () => {
    await receiver.close();
    sink.reset();
    // Each test's endpoints (and their outbox rows, by cascade) go with it, so no test posts another's events.
    await db().delete(webhookEndpoints).where(sql`true`);
  });
  afterAll(async () => {
    await sink?.close();
    await resend?.close();
    for (const [name, value] of [
      ["FANOUT_WEBHOOKS_ALLOW_PRIVATE", saved.allow],
      ["RESEND_WEBHOOK_SECRET", saved.resend],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  async function keyFor(departmentId: string | null) {
    const scope = departmentId ? { company: false as const, departmentId } : { company: true as const };
    return (await createApiKey({ db: db(), actor: systemActor("test") }, { name: unique("key"), scope })).secret;
  }

  function api(handler: (request: Request, context: { params: Promise<Record<string, never>> }) => Promise<Response>, key: string, body?: unknown) {
    const request = new Request("http://fanout.test/api/v1/x", {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "x-fanout-peer": "203.0.113.9" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return handler(request, { params: Promise.resolve({}) });
  }

  async function sendTask(setup: SendingSetup, transport: Transport) {
    const created = await createTask(setup.ctx, taskInput(setup));
    const engine = new LocalRunner(db(), { transport, config: testSendingConfig({ maxAttempts: 1 }), log: () => undefined });
    try {
      await engine.drain();
    } finally {
      await engine.stop();
    }
    return created.id;
  }

  /** Posts every due message, stepping the clock past each retry, until nothing is pending (or `until`). */
  async function deliverAll(options: { from?: Date; until?: number; timeoutMs?: number } = {}) {
    let now = options.from ?? new Date();
    const end = now.getTime() + (options.until ?? 5 * 60_000);
    while (now.getTime() <= end) {
      const round = await deliverDueWebhooks(db(), { now, timeoutMs: options.timeoutMs });
      if (round.taken === 0) {
        const [next] = await queryRows<{ at: string | Date | null }>(
          db(),
          sql`select min(m.next_attempt_at) as at from webhook_messages m join webhook_endpoints e on e.id = m.endpoint_id and e.enabled
              where m.status = 'pending' and m.next_attempt_at > ${now.toISOString()}::timestamptz`,
        );
        if (!next?.at) return now;
        now = new Date(next.at);
      }
    }
    return now;
  }

  const verified = (secret: string) => receiver.received.map((request) => new Webhook(secret).verify(request.body, request.headers) as Event);

  async function endpointRow(id: string) {
    const [row] = await db().select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
    return row!;
  }

  it("a receiver on loopback gets a correctly signed event of each of the eight kinds from a real task", async () => {
    const emails = ["ann@hooks.test", "bob@hooks.test", "cai@hooks.test"];
    const setup = await makeSendingSetup(db(), { emails });
    const key = await keyFor(setup.departmentId);
    const created = await api(createWebhookRoute, key, { url: receiver.url, events: ALL_KINDS });
    expect(created.status).toBe(201);
    const endpoint = (await created.json()) as { id: string; url: string; events: string[]; secret: string };
    expect(endpoint).toMatchObject({ url: receiver.url, events: ALL_KINDS });
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/);
    // Shown once: the listing and the stored row never hold the secret in clear.
    const listed = (await (await api(listWebhooksRoute, key)).json()) as Record<string, unknown>[];
    expect(listed).toEqual([expect.objectContaining({ id: endpoint.id, enabled: true })]);
    expect(JSON.stringify(listed)).not.toContain(endpoint.secret);
    expect(JSON.stringify(await endpointRow(endpoint.id))).not.toContain(endpoint.secret.slice(6));

    const taskId = await sendTask(setup, createResendTransport({ apiKey: "re_test", baseUrl: resend.url }));
    const rows = await db().select().from(deliveries).where(eq(deliveries.taskId, taskId));
    const delivery = (email: string) => rows.find((row) => row.email === email)!;
    // People open and click a while after the send; earlier, it is taken for a prefetcher.
    await db().update(deliveries).set({ sentAt: new Date(Date.now() - 3_600_000) }).where(eq(deliveries.taskId, taskId));

    const resendEvent = (type: string, email: string, extra: Record<string, unknown> = {}) => {
      const body = JSON.stringify({ type, created_at: new Date().toISOString(), data: { email_id: delivery(email).providerId, to: [email], ...extra } });
      const id = `msg_${crypto.randomUUID()}`;
      const at = new Date();
      const signature = new Webhook(RESEND_SECRET).sign(id, at, body);
      return resendPost(
        new Request("http://fanout.test/api/webhooks/resend", {
          method: "POST",
          body,
          headers: { "content-type": "application/json", "svix-id": id, "svix-timestamp": String(Math.floor(at.getTime() / 1000)), "svix-signature": signature },
        }),
      );
    };
    expect((await resendEvent("email.delivered", "ann@hooks.test")).status).toBe(200);
    expect((await resendEvent("email.bounced", "bob@hooks.test", { bounce: { type: "Permanent", message: "550 5.1.1 No such user" } })).status).toBe(200);
    expect((await resendEvent("email.complained", "cai@hooks.test")).status).toBe(200);

    const tokenOf = (url: string, prefix: string) => url.slice(`${publicBaseUrl()}/${prefix}/`.length);
    const visit = (url: string) => new Request(url, { headers: { "user-agent": PERSON, "x-fanout-peer": "203.0.113.5" } });
    const ann = delivery("ann@hooks.test");
    const pixel = openPixelUrl(ann.id);
    expect((await pixelRoute(visit(pixel), { params: Promise.resolve({ token: tokenOf(pixel, "t/o") }) })).status).toBe(200);
    const click = clickUrl(ann.id, "https://example.com/offer");
    expect((await clickRoute(visit(click), { params: Promise.resolve({ token: tokenOf(click, "t/c") }) })).status).toBe(302);
    const { oneClickUrl, url: unsubscribeUrl } = unsubscribeLinks(String(ann.id), "hooks.test");
    const unsubscribeToken = tokenOf(unsubscribeUrl, "u");
    const unsubscribed = await oneClickPost(
      new Request(oneClickUrl, { method: "POST", body: "List-Unsubscribe=One-Click", headers: { "content-type": "application/x-www-form-urlencoded", "x-fanout-peer": "203.0.113.5" } }),
      { params: Promise.resolve({ token: unsubscribeToken }) },
    );
    expect(unsubscribed.status).toBeLessThan(300);
    expect((await api(subscribeRoute, key, { poolId: setup.poolId, email: "dan@hooks.test" })).status).toBe(200);

    await deliverAll();
    const events = verified(endpoint.secret);
    expect([...new Set(events.map((event) => event.type))].sort()).toEqual([...ALL_KINDS].sort());
    const find = (type: string, email: string) => events.find((event) => event.type === type && event.data.email === email);
    for (const email of emails) expect(find("sent", email)?.data).toMatchObject({ deliveryId: delivery(email).id, taskId });
    expect(find("delivered", "ann@hooks.test")?.data).toMatchObject({ deliveryId: ann.id, taskId });
    expect(find("bounced", "bob@hooks.test")?.data).toMatchObject({ deliveryId: delivery("bob@hooks.test").id, category: "user_unknown" });
    expect(find("complained", "cai@hooks.test")?.data).toMatchObject({ deliveryId: delivery("cai@hooks.test").id, taskId });
    expect(find("opened", "ann@hooks.test")?.data).toMatchObject({ deliveryId: ann.id, taskId });
    expect(find("opened", "ann@hooks.test")?.data.machine).toBeUndefined();
    expect(find("clicked", "ann@hooks.test")?.data).toMatchObject({ deliveryId: ann.id, url: "https://example.com/offer" });
    expect(find("unsubscribed", "ann@hooks.test")?.data).toMatchObject({ deliveryId: ann.id, method: "one-click" });
    expect(find("subscribed", "dan@hooks.test")?.data).toMatchObject({ poolId: setup.poolId });
    // Each message carries its own id, and every one was answered 200 and logged as delivered.
    expect(new Set(receiver.received.map((request) => request.headers["webhook-id"])).size).toBe(receiver.received.length);
    const log = await listWebhookMessages(setup.ctx, endpoint.id, { limit: 100 });
    expect(log.total).toBe(receiver.received.length);
    expect(log.rows.every((row) => row.status === "delivered" && row.attempts === 1 && row.lastStatusCode === 200 && row.lastResponse === "ok")).toBe(true);
  });

  it("answers 500 three times, then 200: delivered on the fourth try, with the same webhook-id, after growing waits", async () => {
    const setup = await makeSendingSetup(db(), { count: 1 });
    const endpoint = await createWebhookEndpoint(setup.ctx, { url: receiver.url, events: ["sent"], departmentId: setup.departmentId });
    receiver.answer((index) => (index < 3 ? { status: 500, body: "database down" } : { status: 200, body: "thanks" }));
    await sendTask(setup, createSmtpTransport({ url: sink.url }));

    const start = new Date();
    const attempts: { at: number; status: string; code: number | null }[] = [];
    let now = start;
    for (let round = 0; round < 4; round++) {
      const result = await deliverDueWebhooks(db(), { now });
      expect(result.taken).toBe(1);
      const [row] = await db().select().from(webhookMessages).where(eq(webhookMessages.endpointId, endpoint.id));
      attempts.push({ at: now.getTime(), status: row!.status, code: row!.lastStatusCode });
      // Nothing is due before the back-off has passed.
      expect((await deliverDueWebhooks(db(), { now: new Date(row!.nextAttemptAt.getTime() - 1) })).taken).toBe(0);
      now = row!.nextAttemptAt;
    }
    expect(attempts.map(({ status, code }) => [status, code])).toEqual([
      ["pending", 500],
      ["pending", 500],
      ["pending", 500],
      ["delivered", 200],
    ]);
    const waits = attempts.slice(1).map((attempt, index) => attempt.at - attempts[index]!.at);
    expect(waits[1]!).toBeGreaterThan(waits[0]!);
    expect(waits[2]!).toBeGreaterThan(waits[1]!);
    expect(receiver.received).toHaveLength(4);
    expect(new Set(receiver.received.map((request) => request.headers["webhook-id"])).size).toBe(1);
    expect(verified(endpoint.secret).map((event) => event.type)).toEqual(["sent", "sent", "sent", "sent"]);
    const [logged] = (await listWebhookMessages(setup.ctx, endpoint.id)).rows;
    expect(logged).toMatchObject({ status: "delivered", attempts: 4, lastStatusCode: 200, lastResponse: "thanks" });
  });

  it("a change that rolls back produces no event; the same change committed produces one", async () => {
    const setup = await makeSendingSetup(db(), { count: 1 });
    const endpoint = await createWebhookEndpoint(setup.ctx, { url: receiver.url, events: ["subscribed"], departmentId: setup.departmentId });
    const rolledBack = db().transaction(async (tx) => {
      await subscribe({ db: tx, actor: systemActor("test") }, { poolId: setup.poolId, email: "undone@hooks.test" });
      throw new Error("the caller's transaction fails after the change");
    });
    await expect(rolledBack).rejects.toThrow("fails after the change");
    await deliverAll();
    expect(receiver.received).toHaveLength(0);
    expect(await db().select().from(webhookMessages).where(eq(webhookMessages.endpointId, endpoint.id))).toEqual([]);

    await subscribe(setup.ctx, { poolId: setup.poolId, email: "kept@hooks.test" });
    await deliverAll();
    expect(verified(endpoint.secret).map((event) => [event.type, event.data.email])).toEqual([["subscribed", "kept@hooks.test"]]);
  });

  it("refuses URLs that are not http(s) or that lead to loopback, private or link-local addresses, at creation and at send time", async () => {
    const setup = await makeSendingSetup(db(), { count: 1 });
    const key = await keyFor(setup.departmentId);
    delete process.env.FANOUT_WEBHOOKS_ALLOW_PRIVATE;
    const before = await snapshotState(db());
    const refusals: [string, string][] = [
      ["ftp://files.example.com/in", "webhookUrlScheme"],
      ["file:///etc/passwd", "webhookUrlScheme"],
      ["not a url", "notUrl"],
      ["https://user:secret@hooks.example.com/", "webhookUrlCredentials"],
      [receiver.url, "webhookUrlPrivate"],
      ["http://localhost:9/hook", "webhookUrlPrivate"],
      ["http://[::1]:9/hook", "webhookUrlPrivate"],
      ["http://[::ffff:127.0.0.1]:9/hook", "webhookUrlPrivate"],
      ["http://10.1.2.3/hook", "webhookUrlPrivate"],
      ["http://192.168.0.10/hook", "webhookUrlPrivate"],
      ["http://169.254.169.254/latest/meta-data", "webhookUrlPrivate"],
    ];
    for (const [url, reason] of refusals) {
      const response = await api(createWebhookRoute, key, { url, events: ["sent"] });
      expect(response.status, url).toBe(400);
      const body = (await response.json()) as { error: { code: string; reason: string; details?: { field?: string }; message: string } };
      expect(body.error, url).toMatchObject({ code: "invalid_input", reason, details: { field: "url" } });
    }
    expect((await api(createWebhookRoute, key, { url: "https://hooks.example.com/", events: ["sent", "mailed"] })).status).toBe(400);
    expect(await snapshotState(db())).toBe(before);

    // Saved while allowed, then the setting is taken away: the send-time check refuses to connect, by IP and by a name that resolves inward.
    process.env.FANOUT_WEBHOOKS_ALLOW_PRIVATE = "true";
    const byAddress = await createWebhookEndpoint(setup.ctx, { url: receiver.url, events: ["sent"], departmentId: setup.departmentId });
    const byName = await createWebhookEndpoint(setup.ctx, { url: receiver.url.replace("127.0.0.1", "localhost"), events: ["sent"], departmentId: setup.departmentId });
    delete process.env.FANOUT_WEBHOOKS_ALLOW_PRIVATE;
    await sendTask(setup, createSmtpTransport({ url: sink.url }));
    await deliverDueWebhooks(db());
    expect(receiver.received).toHaveLength(0);
    for (const endpoint of [byAddress, byName]) {
      const [row] = (await listWebhookMessages(setup.ctx, endpoint.id)).rows;
      expect(row).toMatchObject({ status: "pending", attempts: 1, lastStatusCode: null });
      expect(row!.lastError).toMatch(/loopback or private/);
    }
    // The company's setting lets them, as the environment does.
    const admin = { db: db(), actor: systemActor("test") };
    await writeSetting(admin, "webhooksAllowPrivate", true);
    try {
      expect((await api(createWebhookRoute, key, { url: receiver.url, events: ["sent"] })).status).toBe(201);
    } finally {
      await writeSetting(admin, "webhooksAllowPrivate", false);
    }
  });

  it("an answer of 410 Gone disables the endpoint at once, with an operation-log row and a reason the console shows", async () => {
    const setup = await makeSendingSetup(db(), { count: 2 });
    const endpoint = await createWebhookEndpoint(setup.ctx, { url: receiver.url, events: ["sent"], departmentId: setup.departmentId });
    receiver.answer(() => ({ status: 410, body: "gone" }));
    await sendTask(setup, createSmtpTransport({ url: sink.url }));
    await deliverDueWebhooks(db(), { limit: 1 });
    expect(await endpointRow(endpoint.id)).toMatchObject({ enabled: false, disabledReason: "gone" });
    const [audit] = await db().select().from(auditLog).where(and(eq(auditLog.objectId, endpoint.id), eq(auditLog.action, "webhook.disable")));
    expect(audit).toMatchObject({ summaryKey: "webhook.disabledGone", departmentId: setup.departmentId });
    // The other event waits while the endpoint is off, and nothing new is written for it.
    await deliverAll();
    expect(receiver.received).toHaveLength(1);
    const log = await listWebhookMessages(setup.ctx, endpoint.id);
    expect(log.rows.map((row) => row.status).sort()).toEqual(["failed", "pending"]);
    await sendTask(setup, createSmtpTransport({ url: sink.url }));
    expect((await listWebhookMessages(setup.ctx, endpoint.id)).total).toBe(2);
    // Turned on again by hand, the waiting event goes out.
    receiver.answer(() => ({ status: 200 }));
    await setWebhookEnabled(setup.ctx, endpoint.id, true);
    await deliverAll();
    expect(receiver.received).toHaveLength(2);
  });

  it("a receiver that hangs is given up on after the timeout and retried; 24 hours of failures disable the endpoint", async () => {
    const setup = await makeSendingSetup(db(), { count: 1 });
    const endpoint = await createWebhookEndpoint(setup.ctx, { url: receiver.url, events: ["sent"], departmentId: setup.departmentId });
    receiver.answer((index) => (index === 0 ? { hang: true } : { status: 200 }));
    await sendTask(setup, createSmtpTransport({ url: sink.url }));
    const started = Date.now();
    await deliverDueWebhooks(db(), { timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(5_000);
    const [first] = (await listWebhookMessages(setup.ctx, endpoint.id)).rows;
    expect(first).toMatchObject({ status: "pending", attempts: 1, lastStatusCode: null, lastError: expect.stringMatching(/No answer within/) });
    await deliverAll({ timeoutMs: 300 });
    expect((await listWebhookMessages(setup.ctx, endpoint.id)).rows[0]).toMatchObject({ status: "delivered", attempts: 2 });

    // Another endpoint that always fails: retried with back-off for 24 hours, then it is disabled with a notice.
    const failing = await createWebhookEndpoint(setup.ctx, { url: receiver.url.replace("/hooks/", "/failing/"), events: ["subscribed"], departmentId: setup.departmentId });
    receiver.answer((_, request) => (request.body.includes("subscribed") ? { status: 503, body: "maintenance" } : { status: 200 }));
    await subscribe(setup.ctx, { poolId: setup.poolId, email: "late@hooks.test" });
    const end = await deliverAll({ until: RETRY_WINDOW_MS + 7 * 3_600_000 });
    const [failed] = (await listWebhookMessages(setup.ctx, failing.id)).rows;
    expect(failed).toMatchObject({ status: "failed", lastStatusCode: 503, lastResponse: "maintenance" });
    expect(failed!.attempts).toBeGreaterThan(5);
    expect(failed!.attempts).toBeLessThan(20);
    expect(end.getTime() - failed!.createdAt.getTime()).toBeGreaterThanOrEqual(RETRY_WINDOW_MS);
    expect(await endpointRow(failing.id)).toMatchObject({ enabled: false, disabledReason: "failing" });
    const [notice] = await db().select().from(auditLog).where(and(eq(auditLog.objectId, failing.id), eq(auditLog.action, "webhook.disable")));
    expect(notice).toMatchObject({ summaryKey: "webhook.disabledFailing" });
  });

  it("keeps departments apart: another department's webhook ids are refused and unchanged; company-wide endpoints hear every department", async () => {
    const mine = await makeSendingSetup(db(), { count: 1 });
    const theirs = await makeDepartment(db());
    const theirUser = await makeUser(db(), "department", { departmentId: theirs.id });
    const theirCtx = { db: db(), actor: actorFor(theirUser, "department", theirs.id) };
    const endpoint = await createWebhookEndpoint(mine.ctx, { url: receiver.url, events: ["sent"], departmentId: mine.departmentId });
    await sendTestWebhook(mine.ctx, endpoint.id);
    const [message] = await db().select().from(webhookMessages).where(eq(webhookMessages.endpointId, endpoint.id));

    expect((await listWebhookEndpoints(theirCtx)).rows.map((row) => row.id)).not.toContain(endpoint.id);
    const theirKey = await keyFor(theirs.id);
    expect(await (await api(listWebhooksRoute, theirKey)).json()).toEqual([]);
    const before = await snapshotState(db());
    for (const attempt of [
      () => setWebhookEnabled(theirCtx, endpoint.id, false),
      () => deleteWebhookEndpoint(theirCtx, endpoint.id),
      () => listWebhookMessages(theirCtx, endpoint.id),
      () => sendTestWebhook(theirCtx, endpoint.id),
      () => replayWebhookMessage(theirCtx, endpoint.id, message!.id),
      () => createWebhookEndpoint(theirCtx, { url: receiver.url, events: ["sent"], departmentId: mine.departmentId }),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ code: "forbidden" });
    }
    expect((await api(createWebhookRoute, theirKey, { url: receiver.url, events: ["sent"], departmentId: mine.departmentId })).status).toBe(403);
    expect(await snapshotState(db())).toBe(before);
    // A department caller cannot make a company-wide endpoint; a company key can, and it hears this department's sends.
    const companyKey = await keyFor(null);
    const companyWide = await api(createWebhookRoute, companyKey, { url: receiver.url, events: ["sent"] });
    expect(companyWide.status).toBe(201);
    const company = (await companyWide.json()) as { id: string; departmentId: string | null; secret: string };
    expect(company.departmentId).toBeNull();
    expect((await listWebhookEndpoints(theirCtx)).rows.map((row) => row.id)).not.toContain(company.id);
    await sendTask(mine, createSmtpTransport({ url: sink.url }));
    await deliverAll();
    const companyHeard = receiver.received.filter((request) => {
      try {
        return (new Webhook(company.secret).verify(request.body, request.headers) as Event).type === "sent";
      } catch {
        return false;
      }
    });
    expect(companyHeard).toHaveLength(1);
  });

  it("the test button and a replay send again through the log; deleting an endpoint removes it and its log", async () => {
    const setup = await makeSendingSetup(db(), { count: 1 });
    const endpoint = await createWebhookEndpoint(setup.ctx, { url: receiver.url, events: ["sent"], departmentId: setup.departmentId });
    await sendTestWebhook(setup.ctx, endpoint.id);
    await deliverAll();
    const [test] = verified(endpoint.secret);
    expect(test).toMatchObject({ type: "test", data: { test: true } });
    const [logged] = (await listWebhookMessages(setup.ctx, endpoint.id)).rows;
    await replayWebhookMessage(setup.ctx, endpoint.id, logged!.id);
    await deliverAll();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]!.body).toBe(receiver.received[0]!.body);
    const actions = await db().select({ action: auditLog.action }).from(auditLog).where(eq(auditLog.objectId, endpoint.id));
    expect(actions.map((row) => row.action).sort()).toEqual(["webhook.create", "webhook.replay", "webhook.test"]);
    await deleteWebhookEndpoint(setup.ctx, endpoint.id);
    expect(await db().select().from(webhookMessages).where(eq(webhookMessages.endpointId, endpoint.id))).toEqual([]);
  });

  it("under Inngest, the every-minute deliverer posts due events a round per step until none is due", async () => {
    const setup = await makeSendingSetup(db(), { count: 3 });
    const endpoint = await createWebhookEndpoint(setup.ctx, { url: receiver.url, events: ["sent"], departmentId: setup.departmentId });
    await sendTask(setup, createSmtpTransport({ url: sink.url }));
    const transport = createSmtpTransport({ url: sink.url });
    const fns = createFunctions(async () => ({ db: db(), transport, config: testSendingConfig(), limiter: new RateLimiter() }), { config: testSendingConfig() });
    expect(fns.webhookDeliverer.opts.triggers).toEqual([{ cron: "* * * * *" }]);
    const engine = new InngestTestEngine({ function: fns.webhookDeliverer, events: [{ name: "inngest/scheduled.timer", data: {} }] });
    const output = await engine.execute();
    await transport.close();
    expect(output.error).toBeUndefined();
    expect(output.result).toMatchObject({ taken: 3, delivered: 3, retrying: 0, failed: 0 });
    expect(verified(endpoint.secret).map((event) => event.data.email).sort()).toEqual([...setup.emails].sort());
  });

  it("writes nothing to the outbox for a department whose endpoints do not listen for the kind", async () => {
    const setup = await makeSendingSetup(db(), { count: 30 });
    await createWebhookEndpoint(setup.ctx, { url: receiver.url, events: ["complained"], departmentId: setup.departmentId });
    await sendTask(setup, createSmtpTransport({ url: sink.url }));
    const [count] = await queryRows<{ n: number }>(db(), sql`select count(*)::int as n from webhook_messages where department_id = ${setup.departmentId}`);
    expect(count!.n).toBe(0);
  });
});
