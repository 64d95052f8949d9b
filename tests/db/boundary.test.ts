/**
 * The request boundary fails closed (issue 11): the client IP is the socket peer unless a trusted
 * proxy vouches for a hop, every body is read through a byte-counted reader (chunked bodies too),
 * a malformed cookie or id is a 401/404 and never a 500, a binary upload is a 400, and a
 * cookie-authenticated change from another site is a 403. Route handlers are called in-process,
 * as Next calls them; X-Fanout-Peer stands for what scripts/start.mjs sets from the socket.
 */
import { and, desc, eq } from "drizzle-orm";
import { afterEach, beforeAll, expect, it, vi } from "vitest";
import { GET as importProgressGet } from "@/app/(console)/imports/[id]/route";
import { POST as consoleUpload } from "@/app/(console)/pools/[id]/import/upload/route";
import { GET as poolExport } from "@/app/(console)/pools/[id]/export/route";
import { GET as taskProgress } from "@/app/(console)/tasks/[id]/progress/route";
import { POST as templatePreview } from "@/app/(console)/templates/preview/route";
import { POST as nextAuthPost } from "@/app/api/auth/[...nextauth]/route";
import { POST as inngestPost } from "@/app/api/inngest/route";
import { GET as poolContactsGet } from "@/app/api/v1/pools/[id]/contacts/route";
import { POST as apiImport } from "@/app/api/v1/pools/[id]/import/route";
import { POST as createPoolRoute } from "@/app/api/v1/pools/route";
import { GET as taskGet } from "@/app/api/v1/tasks/[id]/route";
import { POST as inboundPost } from "@/app/api/webhooks/inbound/route";
import { POST as resendPost } from "@/app/api/webhooks/resend/route";
import { POST as aliyunPost } from "@/app/api/webhooks/sms/aliyun/[token]/[kind]/route";
import { POST as twilioPost } from "@/app/api/webhooks/sms/twilio/route";
import { POST as whatsappPost } from "@/app/api/webhooks/whatsapp/route";
import { POST as oneClickPost } from "@/app/u/[token]/one-click/route";
import { auditLog, imports, users } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import { createApiKey } from "@/lib/accounts/api-keys";
import { clientIp } from "@/lib/auth/session";
import { signToken } from "@/lib/tokens/signed";
import { MAX_INBOUND_BYTES } from "@/lib/feedback/inbound";
import { readOutboxMessage } from "@/lib/outbox/messages";
import { loadImport } from "@/lib/pools/import-jobs";
import { createPool, loadPool } from "@/lib/pools/pools";
import { loadDomain } from "@/lib/senders/domains";
import { listDeliveries } from "@/lib/sending/deliveries";
import { materializeStep, startTask } from "@/lib/sending/materialize";
import { createTask } from "@/lib/sending/tasks";
import { loadSender } from "@/lib/senders/senders";
import { loadTemplate } from "@/lib/templates/store";
import { UNSUBSCRIBE_PURPOSE } from "@/lib/tokens/delivery-links";
import { describeOnDatabases } from "../helpers/db";
import { makeDepartment, makeUser, unique } from "../helpers/factories";
import { serveAs } from "../helpers/next-headers";
import { makeSendingSetup, taskInput, testSendingConfig } from "../helpers/sending";

vi.mock("next/headers", () => import("../helpers/next-headers"));

const DASHES = "-".repeat(36);
const MiB = 1024 * 1024;
const ENV_KEYS = [
  "FANOUT_TRUSTED_PROXIES",
  "RESEND_WEBHOOK_SECRET",
  "FANOUT_SMS_PROVIDER",
  "FANOUT_SMS_ALIYUN_ACCESS_KEY_ID",
  "FANOUT_SMS_ALIYUN_ACCESS_KEY_SECRET",
  "FANOUT_SMS_ALIYUN_SIGN_NAME",
  "FANOUT_SMS_ALIYUN_PUSH_TOKEN",
  "FANOUT_SMS_TWILIO_ACCOUNT_SID",
  "FANOUT_SMS_TWILIO_AUTH_TOKEN",
  "FANOUT_SMS_TWILIO_FROM",
  "FANOUT_WHATSAPP_TOKEN",
  "FANOUT_WHATSAPP_PHONE_NUMBER_ID",
  "FANOUT_WHATSAPP_APP_SECRET",
] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));

afterEach(() => {
  for (const key of ENV_KEYS) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
});

type Handler<P> = (request: Request, context: { params: Promise<P> }) => Promise<Response>;
const call = <P>(handler: Handler<P>, request: Request, params: P) => handler(request, { params: Promise.resolve(params) });

/** A body of `total` bytes with no Content-Length (sent chunked), counting what the server actually pulls. */
function chunkedBody(total: number) {
  const pulled = { bytes: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled.bytes >= total) return controller.close();
      const chunk = new Uint8Array(64 * 1024).fill(0x61);
      pulled.bytes += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { stream, pulled };
}

function postStream(url: string, stream: ReadableStream<Uint8Array>, headers: Record<string, string> = {}) {
  return new Request(url, { method: "POST", body: stream, headers: { "x-fanout-peer": "192.0.2.200", ...headers }, duplex: "half" } as RequestInit);
}

it("takes the socket peer as the client and walks X-Forwarded-For only from trusted proxies", () => {
  const ip = (peer: string | null, forwarded?: string) => {
    const headers = new Headers();
    if (peer !== null) headers.set("x-fanout-peer", peer);
    if (forwarded !== undefined) headers.set("x-forwarded-for", forwarded);
    return clientIp(headers);
  };
  // No trusted proxy: whatever the client writes is ignored.
  expect(ip("192.0.2.10", "6.6.6.6")).toBe("192.0.2.10");
  expect(ip("::ffff:192.0.2.10", "6.6.6.6")).toBe("192.0.2.10");
  expect(ip(null, "6.6.6.6")).toBe("");
  expect(ip("not an address", "6.6.6.6")).toBe("");

  process.env.FANOUT_TRUSTED_PROXIES = "192.0.2.0/24, 10.0.0.0/8, fd00::/8";
  // The last hop that is not one of ours; anything left of it is the client's own writing.
  expect(ip("192.0.2.10", "6.6.6.6, 203.0.113.50, 10.1.2.3")).toBe("203.0.113.50");
  expect(ip("192.0.2.10", "2001:db8::5, fd00::1")).toBe("2001:db8::5");
  // A peer that is not a trusted proxy is the client, whatever it forwards.
  expect(ip("198.51.100.9", "6.6.6.6")).toBe("198.51.100.9");
  // Garbage in the chain stops the walk at the last address a trusted proxy wrote.
  expect(ip("192.0.2.10", "6.6.6.6, <script>, 10.1.2.3")).toBe("10.1.2.3");
  expect(ip("192.0.2.10", "")).toBe("192.0.2.10");
  process.env.FANOUT_TRUSTED_PROXIES = "10.0.0.0/33";
  expect(() => ip("192.0.2.10")).toThrow(/FANOUT_TRUSTED_PROXIES/);
});

describeOnDatabases("the request boundary", (db) => {
  let companyKey: string;
  let departmentId: string;
  let poolId: string;
  let adminCookie: string;

  beforeAll(async () => {
    const system = { db: db(), actor: systemActor("test") };
    companyKey = (await createApiKey(system, { name: unique("boundary"), scope: { company: true } })).secret;
    departmentId = (await makeDepartment(db())).id;
    poolId = (await createPool(system, { name: unique("boundary"), departmentId })).id;
    const admin = await makeUser(db(), "admin");
    const [row] = await db().select({ sv: users.sessionVersion }).from(users).where(eq(users.id, admin.id));
    adminCookie = `next-auth.session-token=${await serveAs({ id: admin.id, sessionVersion: row!.sv })}`;
  });

  const api = (url: string, init: RequestInit & { peer?: string; forwarded?: string } = {}) => {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${companyKey}`);
    headers.set("x-fanout-peer", init.peer ?? "192.0.2.1");
    if (init.forwarded) headers.set("x-forwarded-for", init.forwarded);
    return new Request(`http://fanout.test${url}`, { ...init, headers });
  };

  async function auditedIpOfNewPool(init: { peer: string; forwarded: string }) {
    const name = unique("audited");
    const response = await call(createPoolRoute, api("/api/v1/pools", { method: "POST", body: JSON.stringify({ name, departmentId }), headers: { "content-type": "application/json" }, ...init }), {});
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    const [row] = await db().select({ ip: auditLog.ip }).from(auditLog).where(and(eq(auditLog.objectId, id), eq(auditLog.action, "pool.create"))).orderBy(desc(auditLog.id));
    return row?.ip;
  }

  it("records the socket peer, not a forged X-Forwarded-For, in the operation log", async () => {
    expect(await auditedIpOfNewPool({ peer: "192.0.2.10", forwarded: "6.6.6.6" })).toBe("192.0.2.10");
  });

  it("records the last untrusted hop when FANOUT_TRUSTED_PROXIES names the proxies in front", async () => {
    process.env.FANOUT_TRUSTED_PROXIES = "192.0.2.0/24,10.0.0.0/8";
    expect(await auditedIpOfNewPool({ peer: "192.0.2.10", forwarded: "6.6.6.6, 203.0.113.50, 10.1.2.3" })).toBe("203.0.113.50");
  });

  it("refuses a 50 MB chunked body to every public endpoint that takes one, early, pulling little more than its limit", async () => {
    process.env.RESEND_WEBHOOK_SECRET = `whsec_${Buffer.from("boundary test secret").toString("base64")}`;
    const pushToken = "p".repeat(40);
    Object.assign(process.env, {
      FANOUT_SMS_PROVIDER: "aliyun",
      FANOUT_SMS_ALIYUN_ACCESS_KEY_ID: "LTAI-boundary",
      FANOUT_SMS_ALIYUN_ACCESS_KEY_SECRET: "boundary",
      FANOUT_SMS_ALIYUN_SIGN_NAME: "边界测试",
      FANOUT_SMS_ALIYUN_PUSH_TOKEN: pushToken,
      FANOUT_WHATSAPP_TOKEN: "boundary",
      FANOUT_WHATSAPP_PHONE_NUMBER_ID: "1",
      FANOUT_WHATSAPP_APP_SECRET: "boundary",
    });
    const unsubscribe = signToken(UNSUBSCRIBE_PURPOSE, { d: 1 });
    const svix = { "svix-id": "msg_1", "svix-timestamp": String(Math.floor(Date.now() / 1000)), "svix-signature": "v1,AAAA" };
    const endpoints: { name: string; limit: number; send: (stream: ReadableStream<Uint8Array>) => Promise<Response> }[] = [
      { name: "inbound webhook", limit: MAX_INBOUND_BYTES, send: (stream) => inboundPost(postStream("http://fanout.test/api/webhooks/inbound", stream)) },
      { name: "Resend webhook", limit: MiB, send: (stream) => resendPost(postStream("http://fanout.test/api/webhooks/resend", stream, svix)) },
      {
        name: "one-click unsubscribe",
        limit: 16 * 1024,
        send: (stream) =>
          call(oneClickPost, postStream(`http://fanout.test/u/${unsubscribe}/one-click`, stream, { "content-type": "application/x-www-form-urlencoded" }), { token: unsubscribe }),
      },
      {
        name: "sign-in",
        limit: 64 * 1024,
        send: (stream) =>
          call(nextAuthPost, postStream("http://fanout.test/api/auth/callback/credentials", stream, { "content-type": "application/x-www-form-urlencoded" }), {
            nextauth: ["callback", "credentials"],
          }),
      },
      { name: "Aliyun SMS push", limit: MiB, send: (stream) => call(aliyunPost, postStream(`http://fanout.test/api/webhooks/sms/aliyun/${pushToken}/reply`, stream), { token: pushToken, kind: "reply" }) },
      {
        name: "Twilio SMS webhook",
        limit: MiB,
        send: (stream) => {
          // One SMS provider at a time: Twilio's variables stand in for Aliyun's for this call.
          Object.assign(process.env, { FANOUT_SMS_PROVIDER: "twilio", FANOUT_SMS_TWILIO_ACCOUNT_SID: "AC1", FANOUT_SMS_TWILIO_AUTH_TOKEN: "boundary", FANOUT_SMS_TWILIO_FROM: "+15005550006" });
          return twilioPost(postStream("http://fanout.test/api/webhooks/sms/twilio", stream, { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": "AAAA" }));
        },
      },
      { name: "WhatsApp webhook", limit: MiB, send: (stream) => whatsappPost(postStream("http://fanout.test/api/webhooks/whatsapp", stream, { "x-hub-signature-256": "sha256=00" })) },
      { name: "Inngest", limit: 32 * MiB, send: (stream) => inngestPost(postStream("http://fanout.test/api/inngest", stream)) },
      {
        name: "an API JSON body",
        limit: 5 * MiB,
        send: (stream) => createPoolRoute(new Request("http://fanout.test/api/v1/pools", { method: "POST", body: stream, headers: { authorization: `Bearer ${companyKey}`, "x-fanout-peer": "192.0.2.1" }, duplex: "half" } as RequestInit), { params: Promise.resolve({}) }),
      },
    ];
    for (const endpoint of endpoints) {
      const { stream, pulled } = chunkedBody(50 * MiB);
      const before = process.memoryUsage();
      const response = await endpoint.send(stream);
      const after = process.memoryUsage();
      expect([endpoint.name, response.status]).toEqual([endpoint.name, 413]);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
      // The reader stops within a few chunks of the limit: the other ~50 MB never leave the client.
      expect(pulled.bytes, endpoint.name).toBeLessThanOrEqual(endpoint.limit + 512 * 1024);
      const grown = after.rss - before.rss;
      console.log(`[boundary] ${endpoint.name}: limit ${endpoint.limit} B, pulled ${pulled.bytes} B, rss ${(grown / MiB).toFixed(1)} MiB, heap ${((after.heapUsed - before.heapUsed) / MiB).toFixed(1)} MiB`);
      expect(grown, endpoint.name).toBeLessThan(endpoint.limit + 48 * MiB);
    }
  });

  it("checks the one-click token before reading any of the body", async () => {
    const { stream, pulled } = chunkedBody(50 * MiB);
    const response = await call(oneClickPost, postStream("http://fanout.test/u/forged/one-click", stream), { token: "forged" });
    expect(response.status).toBe(404);
    expect(pulled.bytes).toBeLessThanOrEqual(256 * 1024);
  });

  it("answers a malformed or garbage session cookie with 401, never 500", async () => {
    for (const cookie of ["next-auth.session-token=%E0%A4%A", "next-auth.session-token=not.a.jwt", "next-auth.session-token=%", "next-auth.session-token.0=%ZZ"]) {
      const request = new Request("http://fanout.test/tasks/x/progress", { headers: { cookie, "x-fanout-peer": "192.0.2.3" } });
      const response = await call(taskProgress, request, { id: crypto.randomUUID() });
      expect([cookie, response.status]).toEqual([cookie, 401]);
    }
  });

  it("refuses a binary upload with 400 and a clear message, to the API import and to the console upload, importing nothing", async () => {
    const binary = Buffer.concat([Buffer.from("email\nalice@example.com\n"), Buffer.from([0, 0, 1, 2, 0xff, 0, 0x89, 0x50, 0x4e, 0x47, 0])]);
    const viaApi = await call(apiImport, api(`/api/v1/pools/${poolId}/import`, { method: "POST", body: binary, headers: { "content-type": "text/csv" } }), { id: poolId });
    expect(viaApi.status).toBe(400);
    expect(((await viaApi.json()) as { error: { message: string } }).error.message).toMatch(/not text.*NUL/);
    const pool = await loadPool({ db: db(), actor: systemActor("test") }, poolId);
    expect(pool.contactCount).toBe(0);

    const before = await db().select({ id: imports.id }).from(imports);
    const upload = new Request(`http://fanout.test/pools/${poolId}/import/upload?name=list.csv`, {
      method: "POST",
      body: binary,
      headers: { cookie: adminCookie, "sec-fetch-site": "same-origin", "x-fanout-peer": "192.0.2.3" },
    });
    const viaConsole = await call(consoleUpload, upload, { id: poolId });
    expect(viaConsole.status).toBe(400);
    expect(((await viaConsole.json()) as { error: { message: string } }).error.message).toMatch(/not text.*NUL/);
    expect(await db().select({ id: imports.id }).from(imports)).toHaveLength(before.length);
  });

  it("answers an id of 36 dashes with 404 on API and console routes, and in every loader that checked the loose pattern", async () => {
    expect((await call(taskGet, api(`/api/v1/tasks/${DASHES}`), { id: DASHES })).status).toBe(404);
    expect((await call(poolContactsGet, api(`/api/v1/pools/${DASHES}/contacts`), { id: DASHES })).status).toBe(404);
    const consoleGet = (path: string) => new Request(`http://fanout.test${path}`, { headers: { cookie: adminCookie, "x-fanout-peer": "192.0.2.3" } });
    expect((await call(importProgressGet, consoleGet(`/imports/${DASHES}`), { id: DASHES })).status).toBe(404);
    expect((await call(poolExport, consoleGet(`/pools/${DASHES}/export`), { id: DASHES })).status).toBe(404);
    expect((await call(taskProgress, consoleGet(`/tasks/${DASHES}/progress`), { id: DASHES })).status).toBe(404);
    const ctx = { db: db(), actor: systemActor("test") };
    for (const load of [() => loadTemplate(ctx, DASHES), () => readOutboxMessage(ctx, DASHES), () => loadDomain(ctx, DASHES, "use"), () => loadSender(ctx, DASHES), () => loadImport(ctx, DASHES)]) {
      await expect(load()).rejects.toMatchObject({ code: "not_found" });
    }
  });

  it("refuses a cookie-authenticated change from another site with 403, and takes the console's own", async () => {
    const preview = (headers: Record<string, string>) =>
      templatePreview(
        new Request("http://fanout.test/templates/preview", {
          method: "POST",
          body: JSON.stringify({ subject: "Hi", html: "<p>Hi</p>", departmentId }),
          headers: { cookie: adminCookie, "content-type": "application/json", "x-fanout-peer": "192.0.2.3", ...headers },
        }),
        { params: Promise.resolve({}) },
      );
    expect((await preview({ origin: "https://evil.example" })).status).toBe(403);
    expect((await preview({ "sec-fetch-site": "cross-site", origin: "https://evil.example" })).status).toBe(403);
    expect((await preview({ "sec-fetch-site": "same-site", origin: "https://console.fanout.test" })).status).toBe(403);
    expect((await preview({})).status).toBe(403);
    const refused = await preview({ origin: "https://evil.example" });
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("forbidden");
    expect((await preview({ "sec-fetch-site": "same-origin" })).status).toBe(200);
    expect((await preview({ origin: "http://fanout.test" })).status).toBe(200);
  });

  it("looks for part of an address within a bounded window of a task's deliveries, continuing from a cursor", async () => {
    const setup = await makeSendingSetup(db(), { count: 30 });
    const task = await createTask(setup.ctx, taskInput(setup, { scheduledAt: new Date(Date.now() - 1_000) }));
    expect(await startTask(db(), task.id)).toBe(true);
    while (!(await materializeStep(db(), task.id, testSendingConfig())).done);
    const all = await listDeliveries(setup.ctx, task.id, { limit: 100 });
    const last = all.deliveries.at(-1)!.email;
    const rare = last.split("@")[0]!;
    // Pages of 5 in a window of 10 rows: the only match lies beyond it, so the first page is empty but says where to go on.
    const pages: { emails: string[]; nextCursor: string | null }[] = [];
    let cursor: string | undefined;
    for (let guard = 0; guard < 10; guard++) {
      const page = await listDeliveries(setup.ctx, task.id, { q: rare, cursor, limit: 5 }, { window: 10 });
      pages.push({ emails: page.deliveries.map((row) => row.email), nextCursor: page.nextCursor });
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(pages[0]).toMatchObject({ emails: [], nextCursor: expect.any(String) });
    expect(pages.flatMap((page) => page.emails)).toEqual([last]);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    // A whole address is found on its index at once.
    expect((await listDeliveries(setup.ctx, task.id, { q: last }, { window: 10 })).deliveries.map((row) => row.email)).toEqual([last]);
  });
});
