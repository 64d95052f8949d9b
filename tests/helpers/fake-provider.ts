import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The small HTTP server under each fake channel provider (fake-aliyun-sms, fake-twilio,
 * fake-whatsapp, fake-wecom): loopback on a random port, every request recorded with its raw body
 * (read under a byte limit: past it the fake answers 413 as the real gateways do), and a way to
 * post webhooks back to the code under test.
 */

export const FAKE_MAX_BODY_BYTES = 64 * 1024;

export type RecordedCall = {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: string;
  status?: number;
};

export type FakeReply = { status: number; body: unknown; headers?: Record<string, string> };

export type FakeServer = { url: string; calls: RecordedCall[]; close: () => Promise<void> };

export async function startFakeServer(answer: (call: RecordedCall) => FakeReply | Promise<FakeReply>): Promise<FakeServer> {
  const calls: RecordedCall[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the rest is drained, not kept: the client still gets its 413 to read.
      if (size > FAKE_MAX_BODY_BYTES) refused = true;
      else chunks.push(chunk);
    });
    req.on("end", async () => {
      if (refused) {
        res.writeHead(413, { "content-type": "application/json" }).end(JSON.stringify({ message: "Request Entity Too Large" }));
        return;
      }
      const url = new URL(req.url ?? "/", "http://fake");
      const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : (value ?? "")]));
      const call: RecordedCall = { method: req.method ?? "GET", path: url.pathname, query: url.searchParams, headers, body: Buffer.concat(chunks).toString("utf8") };
      calls.push(call);
      let reply: FakeReply;
      try {
        reply = await answer(call);
      } catch (error) {
        reply = { status: 500, body: { message: String(error) } };
      }
      call.status = reply.status;
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Posts a webhook the way a provider does, answering with the receiver's status and body. */
export async function postWebhook(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { method: "POST", headers, body });
  return { status: response.status, body: await response.text() };
}

export type ReceivedWebhook = { path: string; headers: Record<string, string>; body: Buffer };

/**
 * Where a fake provider posts its webhooks in a test: records each request's raw bytes and
 * headers (the signature covers the raw body) and answers `reply`.
 */
export async function startWebhookSink(reply: FakeReply = { status: 200, body: { code: 0, msg: "成功" } }): Promise<FakeServer & { received: ReceivedWebhook[] }> {
  const received: ReceivedWebhook[] = [];
  const server = await startFakeServer((call) => {
    received.push({ path: call.path, headers: call.headers, body: Buffer.from(call.body, "utf8") });
    return reply;
  });
  return { ...server, received };
}
