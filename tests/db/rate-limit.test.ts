/**
 * Rate limits (issue 11): per API key on the API, per client IP on the public endpoints and the
 * public pages' actions, per delivery on tracking hits; 429 `rate_limited` with Retry-After, and
 * the limiter's memory stays bounded.
 */
import { and, eq, sql } from "drizzle-orm";
import { afterEach, beforeAll, expect, it, vi } from "vitest";
import { GET as pixel } from "@/app/t/o/[token]/route";
import { setApiKeyRateLimit as changeRateLimit } from "@/app/(console)/admin/api-keys/actions";
import { confirmSubscription } from "@/app/u/confirm/actions";
import { GET as health } from "@/app/api/v1/health/route";
import { GET as senders } from "@/app/api/v1/senders/route";
import { deliveries, deliveryEvents } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import { auditLog, apiKeys } from "@/db/schema";
import { createApiKey, setApiKeyRateLimit } from "@/lib/accounts/api-keys";
import { apiKeyLimiter, publicLimiter, RateLimiter, trackingLimiter } from "@/lib/entry/rate-limit";
import { openPixelUrl } from "@/lib/tokens/delivery-links";
import { materializeStep, startTask } from "@/lib/sending/materialize";
import { createTask } from "@/lib/sending/tasks";
import { describeOnDatabases } from "../helpers/db";
import { makeUser, unique } from "../helpers/factories";
import { serveAnonymous, serveAs } from "../helpers/next-headers";
import { makeSendingSetup, taskInput, testSendingConfig } from "../helpers/sending";

vi.mock("next/headers", () => import("../helpers/next-headers"));

const LIMITS = ["FANOUT_RATE_LIMIT_API", "FANOUT_RATE_LIMIT_PUBLIC", "FANOUT_RATE_LIMIT_TRACKING"] as const;
const saved = Object.fromEntries(LIMITS.map((key) => [key, process.env[key]]));

afterEach(() => {
  for (const key of LIMITS) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  for (const limiter of [apiKeyLimiter, publicLimiter, trackingLimiter]) limiter.clear();
});

const none = { params: Promise.resolve({}) };

it("refills a bucket over the minute, says when to retry, and keeps at most maxKeys keys", () => {
  const limiter = new RateLimiter(() => 60, 1_000);
  const start = 1_000_000;
  for (let index = 0; index < 60; index++) expect(limiter.take("a", start).ok).toBe(true);
  expect(limiter.take("a", start)).toEqual({ ok: false, retryAfterSeconds: 1 });
  // One request a second comes back.
  expect(limiter.take("a", start + 1_000).ok).toBe(true);
  expect(limiter.take("a", start + 1_000).ok).toBe(false);
  // A flood of distinct keys (a spoofed-source scan) cannot grow memory past the bound…
  for (let index = 0; index < 100_000; index++) limiter.take(`ip-${index}`, start + 2_000);
  expect(limiter.size).toBe(1_000);
  // …and the keys dropped are the least recently used, not the busy ones.
  const busy = new RateLimiter(() => 2, 3);
  busy.take("busy", start);
  busy.take("busy", start);
  for (const key of ["x", "y", "busy", "z"]) busy.take(key, start);
  expect(busy.take("busy", start).ok).toBe(false);
});

it("does not lock a key out when the wall clock steps back", () => {
  const limiter = new RateLimiter(() => 60);
  const start = Date.UTC(2026, 11, 4);
  expect(limiter.take("key", start).ok).toBe(true);
  // The clock is set back a month (a fake clock in a test, NTP on a server): the bucket is as it was.
  const monthEarlier = start - 30 * 86_400_000;
  for (let index = 0; index < 59; index++) expect(limiter.take("key", monthEarlier).ok).toBe(true);
  expect(limiter.take("key", monthEarlier).ok).toBe(false);
  expect(limiter.take("key", monthEarlier + 1_000).ok).toBe(true);
});

it("answers an IP over the public limit with 429 and Retry-After, and other IPs as before", async () => {
  process.env.FANOUT_RATE_LIMIT_PUBLIC = "3";
  const from = (peer: string) => health(new Request("http://fanout.test/api/v1/health", { headers: { "x-fanout-peer": peer } }), none);
  for (let index = 0; index < 3; index++) expect((await from("198.51.100.50")).status).toBe(200);
  const refused = await from("198.51.100.50");
  expect(refused.status).toBe(429);
  expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  expect(await refused.json()).toMatchObject({ error: { code: "rate_limited" } });
  // A forged X-Forwarded-For does not buy a new bucket.
  const forged = await health(new Request("http://fanout.test/api/v1/health", { headers: { "x-fanout-peer": "198.51.100.50", "x-forwarded-for": "203.0.113.99" } }), none);
  expect(forged.status).toBe(429);
  expect((await from("198.51.100.51")).status).toBe(200);
  // The public pages' actions share the IP's bucket.
  serveAnonymous("198.51.100.50");
  await expect(confirmSubscription("whatever")).rejects.toMatchObject({ code: "rate_limited" });
});

describeOnDatabases("rate limits", (db) => {
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    const system = { db: db(), actor: systemActor("test") };
    keyA = (await createApiKey(system, { name: unique("a"), scope: { company: true } })).secret;
    keyB = (await createApiKey(system, { name: unique("b"), scope: { company: true } })).secret;
  });

  it("answers an API key over its limit with 429 rate_limited and Retry-After, other keys as before", async () => {
    process.env.FANOUT_RATE_LIMIT_API = "5";
    const list = (key: string, peer: string) =>
      senders(new Request("http://fanout.test/api/v1/senders", { headers: { authorization: `Bearer ${key}`, "x-fanout-peer": peer } }), none);
    // Per key, whichever address it comes from.
    for (let index = 0; index < 5; index++) expect((await list(keyA, `192.0.2.${index + 1}`)).status).toBe(200);
    const refused = await list(keyA, "192.0.2.99");
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toMatchObject({ error: { code: "rate_limited", message: expect.stringContaining("try again") } });
    expect((await list(keyB, "192.0.2.99")).status).toBe(200);
  });

  it("holds a key to its own limit: the third request a minute of a key allowed 2 gets 429 with Retry-After, while another key goes on", async () => {
    process.env.FANOUT_RATE_LIMIT_API = "100";
    const system = { db: db(), actor: systemActor("test") };
    const slow = await createApiKey(system, { name: unique("slow"), scope: { company: true }, rateLimitPerMinute: 2 });
    const list = (key: string) => senders(new Request("http://fanout.test/api/v1/senders", { headers: { authorization: `Bearer ${key}`, "x-fanout-peer": "192.0.2.50" } }), none);
    expect((await list(slow.secret)).status).toBe(200);
    expect((await list(slow.secret)).status).toBe(200);
    const refused = await list(slow.secret);
    expect(refused.status).toBe(429);
    // A token every 30 s at 2 a minute.
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(20);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    for (let index = 0; index < 5; index++) expect((await list(keyB)).status).toBe(200);

    // Raised by an admin in the console: audited with the old and new limit, and the key is counted at the new rate from its next request.
    const admin = await makeUser(db(), "admin");
    await serveAs(admin, "203.0.113.20");
    expect(await changeRateLimit({ id: slow.id, rateLimit: "50" })).toMatchObject({ ok: true });
    const [audited] = await db().select().from(auditLog).where(and(eq(auditLog.action, "apikey.update"), eq(auditLog.objectId, slow.id)));
    expect(audited).toMatchObject({ operatorLabel: admin.email, ip: "203.0.113.20" });
    expect(audited?.summary).toContain("to 50 (was 2)");
    // At 2 a minute the key would wait half a minute more; at 50 it is taken again within seconds.
    await expect.poll(async () => (await list(slow.secret)).status, { timeout: 5_000, interval: 250 }).toBe(200);
    await setApiKeyRateLimit(system, slow.id, null);
    const [stored] = await db().select({ rate: apiKeys.rateLimitPerMinute }).from(apiKeys).where(eq(apiKeys.id, slow.id));
    expect(stored?.rate).toBeNull();
  });

  it("refuses a key limit that is not a whole number of at least 1", async () => {
    const system = { db: db(), actor: systemActor("test") };
    await expect(createApiKey(system, { name: unique("zero"), scope: { company: true }, rateLimitPerMinute: 0 })).rejects.toMatchObject({ code: "invalid_input", field: "rateLimit" });
    await expect(createApiKey(system, { name: unique("half"), scope: { company: true }, rateLimitPerMinute: 2.5 })).rejects.toMatchObject({ code: "invalid_input", field: "rateLimit" });
  });

  it("records at most FANOUT_RATE_LIMIT_TRACKING opens a minute for one delivery, and still answers every pixel", async () => {
    process.env.FANOUT_RATE_LIMIT_TRACKING = "3";
    const setup = await makeSendingSetup(db(), { count: 1 });
    const task = await createTask(setup.ctx, taskInput(setup, { scheduledAt: new Date(Date.now() - 1_000) }));
    expect(await startTask(db(), task.id)).toBe(true);
    while (!(await materializeStep(db(), task.id, testSendingConfig())).done);
    const [delivery] = await db().update(deliveries).set({ status: "sent", sentAt: sql`now() - interval '1 hour'` }).where(eq(deliveries.taskId, task.id)).returning({ id: deliveries.id });
    const token = new URL(openPixelUrl(delivery!.id)).pathname.split("/").at(-1)!;
    for (let index = 0; index < 12; index++) {
      // Different addresses: the per-delivery limit holds whoever asks.
      const response = await pixel(new Request(`http://fanout.test/t/o/${token}`, { headers: { "x-fanout-peer": `203.0.113.${index + 1}`, "user-agent": "Mozilla/5.0" } }), {
        params: Promise.resolve({ token }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/gif");
    }
    const events = await db()
      .select({ id: deliveryEvents.id })
      .from(deliveryEvents)
      .where(and(eq(deliveryEvents.deliveryId, delivery!.id), eq(deliveryEvents.type, "opened")));
    expect(events).toHaveLength(3);
  });
});
