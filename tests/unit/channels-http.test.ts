/**
 * The one HTTP call every channel transport makes: Retry-After read as seconds or a date, a
 * provider that does not answer (a retry, said to be of unknown outcome), an answer larger than
 * the limit (not read into memory), an aborted batch, and results kept in order under the
 * concurrency limit.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callProvider, mapLimit, MAX_ANSWER_BYTES, retryAfterMs } from "@/lib/channels/http";

describe("retryAfterMs", () => {
  it("reads seconds and HTTP dates, and ignores what it cannot read", () => {
    const now = Date.parse("2026-12-07T08:00:00Z");
    expect(retryAfterMs(new Headers({ "retry-after": "7" }), now)).toBe(7000);
    expect(retryAfterMs(new Headers({ "retry-after": "Mon, 07 Dec 2026 08:00:30 GMT" }), now)).toBe(30_000);
    expect(retryAfterMs(new Headers({ "retry-after": "Mon, 07 Dec 2026 07:00:00 GMT" }), now)).toBe(0);
    expect(retryAfterMs(new Headers({ "retry-after": "soon" }), now)).toBeUndefined();
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
  });
});

describe("callProvider", () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === "/silent") return; // never answers
      if (req.url === "/huge") {
        res.writeHead(200, { "content-type": "application/json" });
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        for (let sent = 0; sent <= MAX_ANSWER_BYTES; sent += chunk.length) res.write(chunk);
        return res.end();
      }
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );

  it("answers with the status and the parsed JSON", async () => {
    const outcome = await callProvider("Test", `${url}/`, { method: "GET" });
    expect(outcome).toMatchObject({ ok: true, answer: { status: 200, json: { ok: true } } });
  });

  it("retries a provider that does not answer in time, saying the outcome is unknown", async () => {
    const outcome = await callProvider("Test", `${url}/silent`, { method: "POST", body: "x" }, { timeoutMs: 200 });
    expect(outcome).toEqual({ ok: false, failure: { retry: true, reply: "Test did not answer (no answer within 200 ms): it may have sent the message, and a retry may send it twice" } });
  });

  it("stops reading an answer past the limit", async () => {
    const outcome = await callProvider("Test", `${url}/huge`, { method: "GET" });
    expect(outcome).toEqual({ ok: false, failure: { retry: true, code: 200, reply: `Test answered 200 with more than ${MAX_ANSWER_BYTES} bytes` } });
  });

  it("does not call at all for a batch aborted before, and says so for one aborted during", async () => {
    const before = await callProvider("Test", `${url}/`, { method: "GET" }, { signal: AbortSignal.abort() });
    expect(before).toEqual({ ok: false, failure: { retry: true, reply: "Not sent: the batch was aborted" } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const during = await callProvider("Test", `${url}/silent`, { method: "GET" }, { signal: controller.signal });
    expect(during).toMatchObject({ ok: false, failure: { retry: true, reply: expect.stringContaining("it may have sent the message") } });
  });
});

describe("mapLimit", () => {
  it("keeps the items' order and never runs more than the limit at once", async () => {
    let running = 0;
    let most = 0;
    const results = await mapLimit([50, 10, 30, 0, 20], 2, async (ms) => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, ms));
      running--;
      return ms * 2;
    });
    expect(results).toEqual([100, 20, 60, 0, 40]);
    expect(most).toBe(2);
  });
});
