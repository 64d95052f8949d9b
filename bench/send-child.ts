/**
 * The far side of the send benchmark (bench/send.ts), in a process of its own so that its work
 * is not counted against the sender's event loop: `smtp` is a real smtp-server that accepts every
 * message and counts it; `resend` is an HTTP server answering POST /emails/batch like Resend,
 * admitting at most R requests in any rolling second and answering 429 beyond (the rule of
 * tests/helpers/fake-resend.ts). It says `{ ready, port }` over IPC, answers `{ type: "stats" }`
 * with its counters, and closes on `{ type: "close" }`.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export type ChildTask = { kind: "smtp" } | { kind: "resend"; requestsPerSecond: number };

export type SmtpStats = { kind: "smtp"; messages: number; bytes: number; connections: number; peakConcurrency: number };
export type ResendStats = {
  kind: "resend";
  requests: number;
  accepted: number;
  rateLimited: number;
  replayed: number;
  /** Arrival of the first and of the last admitted request (epoch ms). */
  firstAdmittedAt: number | null;
  lastAdmittedAt: number | null;
};
export type ChildMessage = { ready: true; port: number } | { type: "stats"; stats: SmtpStats | ResendStats };

const send = process.send?.bind(process);
if (!send) throw new Error("bench/send-child.ts is started by bench/send.ts");
const task = JSON.parse(process.argv[2] ?? "{}") as ChildTask;

function startSmtp(): Promise<{ port: number; stats: () => SmtpStats; close: () => Promise<void> }> {
  const stats: SmtpStats = { kind: "smtp", messages: 0, bytes: 0, connections: 0, peakConcurrency: 0 };
  let receiving = 0;
  const server = new SMTPServer({
    logger: false,
    banner: "fanout bench sink",
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    closeTimeout: 1000,
    // A relay next door: no reverse DNS for 127.0.0.1 (without a resolver it waits 1.5 s per connection).
    disableReverseLookup: true,
    onConnect(_session, callback) {
      stats.connections++;
      callback();
    },
    onData(stream, _session, callback) {
      stats.peakConcurrency = Math.max(stats.peakConcurrency, ++receiving);
      stream.on("data", (chunk: Buffer) => (stats.bytes += chunk.length));
      stream.on("end", () => {
        receiving--;
        stats.messages++;
        callback(null, `OK: queued as ${stats.messages.toString(16).toUpperCase()}`);
      });
    },
  });
  server.on("error", () => undefined); // a client closing mid-session is not the sink's failure
  return new Promise((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(0, "127.0.0.1", () =>
      resolve({
        port: (server.server.address() as AddressInfo).port,
        stats: () => ({ ...stats }),
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    );
  });
}

function startResend(requestsPerSecond: number): Promise<{ port: number; stats: () => ResendStats; close: () => Promise<void> }> {
  const stats: ResendStats = { kind: "resend", requests: 0, accepted: 0, rateLimited: 0, replayed: 0, firstAdmittedAt: null, lastAdmittedAt: null };
  const answered = new Map<string, string>();
  let admitted: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      stats.requests++;
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(typeof body === "string" ? body : JSON.stringify(body));
      };
      // Admit at most R requests in any second, counted on arrival; beyond that 429 with the real wait.
      const now = Date.now();
      admitted = admitted.filter((at) => now - at < 1000);
      if (admitted.length >= requestsPerSecond) {
        stats.rateLimited++;
        const wait = String(Math.max(1, Math.ceil((admitted[0]! + 1000 - now) / 1000)));
        return reply(
          429,
          { statusCode: 429, name: "rate_limit_exceeded", message: `Too many requests. You can only make ${requestsPerSecond} requests per second.` },
          { "retry-after": wait, "ratelimit-limit": String(requestsPerSecond), "ratelimit-remaining": "0", "ratelimit-reset": wait },
        );
      }
      admitted.push(now);
      stats.firstAdmittedAt ??= now;
      stats.lastAdmittedAt = now;
      if (req.method !== "POST" || req.url?.split("?")[0] !== "/emails/batch") {
        return reply(404, { statusCode: 404, name: "not_found", message: "The bench fake answers POST /emails/batch only." });
      }
      const key = req.headers["idempotency-key"];
      const earlier = typeof key === "string" ? answered.get(key) : undefined;
      if (earlier) {
        stats.replayed++;
        return reply(200, earlier);
      }
      let emails: unknown;
      try {
        emails = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        emails = null;
      }
      if (!Array.isArray(emails) || emails.length > 100) {
        return reply(422, { statusCode: 422, name: "validation_error", message: "The batch must be an array of at most 100 emails." });
      }
      const body = JSON.stringify({ data: emails.map(() => ({ id: crypto.randomUUID() })), errors: [] });
      stats.accepted += emails.length;
      if (typeof key === "string") answered.set(key, body);
      reply(200, body);
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        stats: () => ({ ...stats }),
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      }),
    );
  });
}

const server = task.kind === "smtp" ? await startSmtp() : await startResend(task.requestsPerSecond);
process.on("message", (message: { type: string }) => {
  if (message.type === "stats") send({ type: "stats", stats: server.stats() } satisfies ChildMessage);
  if (message.type === "close") void server.close().finally(() => process.exit(0));
});
process.on("disconnect", () => process.exit(0));
send({ ready: true, port: server.port } satisfies ChildMessage);
