import crypto from "node:crypto";
import { Resend } from "resend";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Executor } from "@/db/client";
import { describeTransport, transportFromEnv } from "@/lib/transports";
import { createResendTransport, formatAddress, waitBeforeRetry } from "@/lib/transports/resend";
import type { OutgoingMessage, SendResult } from "@/lib/transports/types";
import { outgoingMessage } from "../helpers/messages";
import { startFakeResend, type FakeResend } from "@/tests/helpers/fake-resend";
import { freePort } from "@/tests/helpers/server";

const message = (to: string, extra: Partial<OutgoingMessage> = {}): OutgoingMessage =>
  outgoingMessage(to, {
    subject: "季度报告",
    html: '<p>您好 <a href="https://news.example.com/r/1">报告</a></p>',
    text: "您好 https://news.example.com/r/1",
    ...extra,
  });

const many = (count: number) => Array.from({ length: count }, (_, i) => message(`reader${i}@example.test`));
const providerIds = (results: SendResult[]) => results.map((result) => (result.ok ? result.providerId : undefined));

describe("Resend transport", () => {
  let fake: FakeResend;

  beforeAll(async () => {
    fake = await startFakeResend({ apiKey: "re_test_key" });
  });
  beforeEach(() => {
    fake.reset();
    Object.assign(fake.options, { rateLimitFirst: 0, retryAfter: "1", requestsPerSecond: undefined, invalid: undefined, intercept: undefined });
  });
  afterAll(async () => {
    await fake.close();
  });

  it("sends 250 messages as 3 batch calls of at most 100, with stable keys per chunk, in order", async () => {
    const transport = createResendTransport({ apiKey: "re_test_key", baseUrl: fake.url });
    const messages = many(250);
    const results = await transport.sendBatch(messages, { idempotencyKey: "task-1:batch-7" });

    expect(fake.requests.map((request) => [request.path, (request.body as unknown[]).length, request.idempotencyKey])).toEqual([
      ["/emails/batch", 100, "task-1:batch-7:0"],
      ["/emails/batch", 100, "task-1:batch-7:1"],
      ["/emails/batch", 50, "task-1:batch-7:2"],
    ]);
    expect(fake.requests.every((request) => request.headers["x-batch-validation"] === "permissive" && request.headers.authorization === "Bearer re_test_key")).toBe(true);
    expect(results.map((result) => [result.id, result.ok])).toEqual(messages.map((m) => [m.id, true]));
    // Each message's id is the one Resend gave the email to that recipient.
    const idByRecipient = new Map(fake.emails.map((email) => [(email.email.to as string[])[0], email.id]));
    expect(providerIds(results)).toEqual(messages.map((m) => idByRecipient.get(m.to)));
    expect(new Set(providerIds(results)).size).toBe(250);

    const first = (fake.requests[0]!.body as Record<string, unknown>[])[0]!;
    expect(first).toMatchObject({
      from: "Example News <news@news.example.com>",
      to: ["reader0@example.test"],
      subject: "季度报告",
      html: messages[0]!.html,
      text: messages[0]!.text,
      headers: { ...messages[0]!.headers, "Message-ID": messages[0]!.messageId },
      tags: [{ name: "fanout_delivery", value: messages[0]!.id }],
    });
  });

  it("sends nothing new when the same batch is repeated with the same key", async () => {
    const transport = createResendTransport({ apiKey: "re_test_key", baseUrl: fake.url });
    const messages = many(150);
    const first = await transport.sendBatch(messages, { idempotencyKey: "again" });
    expect(fake.counters.accepted).toBe(150);
    const second = await transport.sendBatch(messages, { idempotencyKey: "again" });
    expect(fake.counters).toMatchObject({ accepted: 150, replayed: 2 });
    expect(second).toEqual(first);
    // The same key for other messages is refused (409): nothing sent, nothing final.
    const misused = await transport.sendBatch(many(2), { idempotencyKey: "again" });
    expect(misused).toEqual([1, 2].map(() => expect.objectContaining({ ok: false, retry: true, code: 409, reply: expect.stringMatching(/^invalid_idempotent_request/) })));
    expect(fake.counters.accepted).toBe(150);

    // Without a key, the key comes from the delivery ids, so a repeat is just as harmless.
    const keyless = many(3);
    const once = await transport.sendBatch(keyless);
    const twice = await transport.sendBatch(keyless);
    expect(twice).toEqual(once);
    expect(fake.counters).toMatchObject({ accepted: 153, replayed: 3 });
    expect(fake.requests.at(-1)!.idempotencyKey).toMatch(/^fanout:[0-9a-f]{64}$/);
  });

  it("follows RESEND_BASE_URL when no base URL is given (the SDK reads it too)", async () => {
    const saved = process.env.RESEND_BASE_URL;
    process.env.RESEND_BASE_URL = fake.url;
    try {
      expect(new Resend("re_test_key").baseUrl).toBe(fake.url);
      const transport = createResendTransport({ apiKey: "re_test_key" });
      expect(transport.target).toBe(fake.url);
      const [result] = await transport.sendBatch([message("env@example.test")]);
      expect(result).toMatchObject({ ok: true, code: 200 });
      expect(fake.counters.accepted).toBe(1);
    } finally {
      if (saved === undefined) delete process.env.RESEND_BASE_URL;
      else process.env.RESEND_BASE_URL = saved;
    }
  });

  it("waits out a 429 with Retry-After: 1 and then succeeds", async () => {
    fake.options.rateLimitFirst = 1;
    const transport = createResendTransport({ apiKey: "re_test_key", baseUrl: fake.url });
    const started = Date.now();
    const results = await transport.sendBatch(many(3), { idempotencyKey: "after-429" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(results.every((result) => result.ok)).toBe(true);
    expect(fake.counters).toMatchObject({ rateLimited: 1, accepted: 3 });
    expect(fake.requests.map((request) => [request.status, request.idempotencyKey])).toEqual([
      [429, "after-429:0"],
      [200, "after-429:0"],
    ]);
  });

  it("gives retry results after a bounded number of attempts when every answer is 429", async () => {
    Object.assign(fake.options, { rateLimitFirst: Infinity, retryAfter: "0" });
    const transport = createResendTransport({ apiKey: "re_test_key", baseUrl: fake.url, maxRetries: 2 });
    const messages = many(2);
    const results = await transport.sendBatch(messages);
    expect(fake.counters).toMatchObject({ requests: 3, rateLimited: 3, accepted: 0 });
    expect(results).toEqual(messages.map((m) => expect.objectContaining({ id: m.id, ok: false, retry: true, code: 429, reply: expect.stringMatching(/^rate_limit_exceeded: Too many requests/) })));
  });

  it("does not sit out a Retry-After longer than it may wait (an HTTP date an hour away)", async () => {
    Object.assign(fake.options, { rateLimitFirst: Infinity, retryAfter: new Date(Date.now() + 3_600_000).toUTCString() });
    const transport = createResendTransport({ apiKey: "re_test_key", baseUrl: fake.url });
    const [result] = await transport.sendBatch(many(1));
    expect(fake.counters.requests).toBe(1);
    expect(result).toMatchObject({ ok: false, retry: true, code: 429 });
    expect(result!.ok ? 0 : result!.retryAfterMs).toBeGreaterThan(3_500_000);
  });

  it("recovers when Resend rate-limits at 2 requests per second", async () => {
    fake.options.requestsPerSecond = 2;
    const transport = createResendTransport({ apiKey: "re_test_key", baseUrl: fake.url });
    const results = await transport.sendBatch(many(250), { idempotencyKey: "paced" });
    expect(results.every((result) => result.ok)).toBe(true);
    expect(fake.counters.accepted).toBe(250);
    expect(fake.counters.rateLimited).toBeGreaterThanOrEqual(1);
  });

  it("keeps a partial failure with its messages: the invalid ones final, the rest sent", async () => {
    fake.options.invalid = ["bad1@example.test", /^bad2@/];
    const transport = createResendTransport({ apiKey: "re_test_key", baseUrl: fake.url });
    const messages = ["ok1@example.test", "bad1@example.test", "ok2@example.test", "bad2@example.test", "ok3@example.test"].map((to) => message(to));
    const results = await transport.sendBatch(messages);

    const idByRecipient = new Map(fake.emails.map((email) => [(email.email.to as string[])[0], email.id]));
    expect(fake.emails).toHaveLength(3);
    expect(results).toEqual([
      { id: messages[0]!.id, ok: true, code: 200, providerId: idByRecipient.get("ok1@example.test") },
      { id: messages[1]!.id, ok: false, retry: false, code: 422, reply: expect.stringMatching(/^Invalid `to` field/) },
      { id: messages[2]!.id, ok: true, code: 200, providerId: idByRecipient.get("ok2@example.test") },
      { id: messages[3]!.id, ok: false, retry: false, code: 422, reply: expect.stringMatching(/^Invalid `to` field/) },
      { id: messages[4]!.id, ok: true, code: 200, providerId: idByRecipient.get("ok3@example.test") },
    ]);
  });

  it("sends a message with attachments on its own (the batch endpoint takes none), content in base64", async () => {
    const transport = createResendTransport({ apiKey: "re_test_key", baseUrl: fake.url });
    const bytes = crypto.randomBytes(500);
    const withFile = message("file@example.test", { attachments: [{ filename: "报告.pdf", contentType: "application/pdf", content: bytes }] });
    const plain = message("plain@example.test");
    const results = await transport.sendBatch([withFile, plain], { idempotencyKey: "mixed" });
    expect(results.map((result) => result.ok)).toEqual([true, true]);
    expect(fake.requests.map((request) => [request.path, request.idempotencyKey])).toEqual([
      ["/emails/batch", "mixed:0"],
      ["/emails", `mixed:a:${withFile.id}`],
    ]);
    expect((fake.requests[1]!.body as { attachments: unknown[] }).attachments).toEqual([
      { filename: "报告.pdf", content_type: "application/pdf", content: bytes.toString("base64") },
    ]);
  });

  it("retries a 5xx with the same key and sends once", async () => {
    let failures = 1;
    fake.options.intercept = () => (failures-- > 0 ? { status: 500, body: { statusCode: 500, name: "application_error", message: "Internal server error." } } : undefined);
    const transport = createResendTransport({ apiKey: "re_test_key", baseUrl: fake.url });
    const results = await transport.sendBatch(many(2), { idempotencyKey: "after-500" });
    expect(results.every((result) => result.ok)).toBe(true);
    expect(fake.requests.map((request) => [request.status, request.idempotencyKey])).toEqual([
      [500, "after-500:0"],
      [200, "after-500:0"],
    ]);
    expect(fake.counters.accepted).toBe(2);
  });

  it("gives retry results for a wrong API key and for an unreachable API", async () => {
    const wrongKey = createResendTransport({ apiKey: "re_wrong", baseUrl: fake.url });
    expect(await wrongKey.sendBatch(many(1))).toEqual([expect.objectContaining({ ok: false, retry: true, code: 403, reply: "invalid_api_key: API key is invalid" })]);

    const unreachable = createResendTransport({ apiKey: "re_test_key", baseUrl: `http://127.0.0.1:${await freePort()}`, maxRetries: 0 });
    const [result] = await unreachable.sendBatch(many(1));
    expect(result).toMatchObject({ ok: false, retry: true });
    expect(result).not.toHaveProperty("code");
  });

  it("stops at an abort: messages not yet sent come back as retry results", async () => {
    const controller = new AbortController();
    controller.abort();
    const transport = createResendTransport({ apiKey: "re_test_key", baseUrl: fake.url });
    const results = await transport.sendBatch(many(2), { signal: controller.signal });
    expect(results.every((result) => !result.ok && result.retry)).toBe(true);
    expect(fake.counters.requests).toBe(0);
  });

  it("reads Retry-After as seconds or an HTTP date, then RateLimit-Reset, else backs off", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(waitBeforeRetry({ "retry-after": "2" }, 0, now)).toBe(2000);
    expect(waitBeforeRetry({ "retry-after": "Wed, 01 Jan 2025 00:00:05 GMT" }, 0, now)).toBe(5000);
    expect(waitBeforeRetry({ "ratelimit-reset": "1" }, 0, now)).toBe(1000);
    expect(waitBeforeRetry(null, 0, now)).toBeGreaterThanOrEqual(500);
    expect(waitBeforeRetry(null, 3, now)).toBeGreaterThanOrEqual(4000);
    expect(formatAddress({ address: "a@example.com", name: "Acme, Inc." })).toBe('"Acme, Inc." <a@example.com>');
    expect(formatAddress({ address: "a@example.com", name: "通讯" })).toBe("通讯 <a@example.com>");
    expect(formatAddress({ address: "a@example.com" })).toBe("a@example.com");
  });
});

describe("transportFromEnv", () => {
  const db = {} as Executor; // only the outbox uses it, and only when sending

  it("prefers Resend, then an SMTP relay, then the outbox, and describes each without secrets", async () => {
    const resend = transportFromEnv(db, { RESEND_API_KEY: "re_secret", RESEND_BASE_URL: "http://127.0.0.1:9/", SMTP_URL: "smtp://relay.example.com" });
    const smtp = transportFromEnv(db, { SMTP_URL: "smtp://user:secret@relay.example.com:2525" });
    const outbox = transportFromEnv(db, { RESEND_API_KEY: " ", SMTP_URL: "" });
    expect([resend.name, smtp.name, outbox.name]).toEqual(["resend", "smtp", "outbox"]);
    expect(resend.maxBatch).toBe(100);
    expect(describeTransport({ RESEND_API_KEY: "re_secret" })).toEqual({ name: "resend", target: "https://api.resend.com" });
    expect(describeTransport({ RESEND_API_KEY: "re_secret", RESEND_BASE_URL: "http://127.0.0.1:9/" })).toEqual({ name: "resend", target: "http://127.0.0.1:9" });
    expect(describeTransport({ SMTP_URL: "smtp://user:secret@relay.example.com:2525" })).toEqual({ name: "smtp", target: "smtp://relay.example.com:2525 (as user)" });
    expect(describeTransport({})).toMatchObject({ name: "outbox" });
    expect(JSON.stringify([describeTransport({ RESEND_API_KEY: "re_secret" }), smtp.target])).not.toMatch(/secret/);
    await Promise.all([resend.close(), smtp.close(), outbox.close()]);
  });
});
