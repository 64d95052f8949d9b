import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fakeResendDomains } from "./fake-resend-domains";

/**
 * A real HTTP server on 127.0.0.1 (random port) answering `POST /emails/batch` and `POST /emails`
 * the way Resend does, for the `resend` SDK pointed at it with `baseUrl` or `RESEND_BASE_URL`:
 *
 * - batch: at most 100 emails; `x-batch-validation: strict` (the SDK's default) refuses the whole
 *   batch with 422 when one email is invalid, `permissive` answers `{ data, errors: [{ index, message }] }`
 *   where `data` holds ids of the created emails only, in request order;
 * - `Idempotency-Key`: a repeated key with the same body replays the first 2xx answer without
 *   sending anything (Resend keeps keys 24 h); the same key with another body gets 409;
 * - the domains API (tests/helpers/fake-resend-domains.ts);
 * - 429 `rate_limit_exceeded` with `retry-after` and `ratelimit-*` headers, for the first N calls
 *   and/or beyond R requests per second.
 *
 *   const resend = await startFakeResend({ invalid: ["bad@example.test"] });
 *   createResendTransport({ apiKey: "re_test", baseUrl: resend.url });
 *   expect(resend.counters.accepted).toBe(…);
 *   await resend.close();
 *
 * Options live on `resend.options` and may be changed between calls.
 */

export type FakeResendOptions = {
  /** Answer 429 to the first N requests since start or reset() (Infinity: always). */
  rateLimitFirst?: number;
  /** `retry-after` of those answers, seconds or an HTTP date (default "1"). */
  retryAfter?: string;
  /** Admit at most R requests in any second; answer 429 beyond (with the real wait in retry-after). */
  requestsPerSecond?: number;
  /** Recipients that fail validation: exact addresses (case-insensitive), patterns, or a test. */
  invalid?: (string | RegExp)[] | ((address: string) => boolean);
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Answer a request yourself (a 500, a slow answer …); return undefined to let the fake answer. */
  intercept?: (request: RecordedRequest) => FakeAnswer | Promise<FakeAnswer | undefined> | undefined;
};

export type FakeAnswer = { status: number; body: unknown; headers?: Record<string, string> };

export type RecordedRequest = {
  method: string;
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  idempotencyKey: string | undefined;
  body: unknown;
  /** The status the fake answered with (set once answered). */
  status?: number;
  at: number;
};

export type AcceptedEmail = { id: string; idempotencyKey: string | undefined; email: Record<string, unknown> };

export type FakeResend = {
  url: string;
  options: FakeResendOptions;
  requests: RecordedRequest[];
  /** Every email that was created, in order (replays add nothing). */
  emails: AcceptedEmail[];
  counters: { requests: number; accepted: number; invalid: number; rateLimited: number; replayed: number };
  reset: () => void;
  close: () => Promise<void>;
};

const INVALID_TO = "Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.";

export async function startFakeResend(initial: FakeResendOptions = {}): Promise<FakeResend> {
  const options: FakeResendOptions = { ...initial };
  const requests: RecordedRequest[] = [];
  const emails: AcceptedEmail[] = [];
  const counters = { requests: 0, accepted: 0, invalid: 0, rateLimited: 0, replayed: 0 };
  const remembered = new Map<string, { path: string; bodyHash: string; answer: FakeAnswer }>();
  let admitted: number[] = [];
  const answerDomains = fakeResendDomains();

  const isInvalid = (address: string) => {
    const rule = options.invalid;
    if (!rule) return false;
    if (typeof rule === "function") return rule(address);
    return rule.some((entry) => (typeof entry === "string" ? entry.toLowerCase() === address.toLowerCase() : entry.test(address)));
  };

  /** The first problem Resend would report for one email, or undefined. */
  const problemOf = (email: Record<string, unknown>, inBatch: boolean): string | undefined => {
    if (!email || typeof email !== "object") return "Invalid email object.";
    if (!email.from) return "Missing `from` field.";
    if (!email.to) return "Missing `to` field.";
    if (!email.subject) return "Missing `subject` field.";
    if (!email.html && !email.text) return "Missing `html` or `text` field.";
    if (inBatch && email.attachments) return "Attachments are not supported in batch sending.";
    const to = ([] as unknown[]).concat(email.to);
    if (to.length > 50) return "Too many recipients: `to` accepts at most 50 addresses.";
    if (to.some((address) => typeof address !== "string" || !/^[^\s@<>]+@[^\s@<>]+$/.test(address.replace(/^.*<(.*)>$/, "$1")) || isInvalid(address))) return INVALID_TO;
    return undefined;
  };

  const rateLimited = (limit: number, retryAfter: string): FakeAnswer => {
    counters.rateLimited++;
    return {
      status: 429,
      headers: { "retry-after": retryAfter, "ratelimit-limit": String(limit), "ratelimit-remaining": "0", "ratelimit-reset": retryAfter },
      body: {
        statusCode: 429,
        name: "rate_limit_exceeded",
        message: `Too many requests. You can only make ${limit} requests per second. See rate limit response headers for more information. Or contact support to increase rate limit.`,
      },
    };
  };

  const create = (email: Record<string, unknown>, key: string | undefined) => {
    const id = crypto.randomUUID();
    emails.push({ id, idempotencyKey: key, email });
    counters.accepted++;
    return id;
  };

  const validationError = (message: string): FakeAnswer => ({ status: 422, body: { statusCode: 422, name: "validation_error", message } });

  async function answer(request: RecordedRequest): Promise<FakeAnswer> {
    if (options.apiKey !== undefined) {
      const auth = request.headers.authorization;
      if (!auth) return { status: 401, body: { statusCode: 401, name: "missing_api_key", message: "Missing API key in the authorization header." } };
      if (auth !== `Bearer ${options.apiKey}`) return { status: 403, body: { statusCode: 403, name: "invalid_api_key", message: "API key is invalid" } };
    }
    if (counters.requests <= (options.rateLimitFirst ?? 0)) return rateLimited(2, options.retryAfter ?? "1");
    if (options.requestsPerSecond) {
      const now = Date.now();
      admitted = admitted.filter((at) => now - at < 1000);
      if (admitted.length >= options.requestsPerSecond) {
        return rateLimited(options.requestsPerSecond, String(Math.max(1, Math.ceil((admitted[0]! + 1000 - now) / 1000))));
      }
      admitted.push(now);
    }
    const intercepted = await options.intercept?.(request);
    if (intercepted) return intercepted;
    const domainAnswer = answerDomains(request);
    if (domainAnswer) return domainAnswer;
    if (request.method !== "POST" || (request.path !== "/emails" && request.path !== "/emails/batch")) {
      return { status: 404, body: { statusCode: 404, name: "not_found", message: "The requested endpoint does not exist." } };
    }

    const key = request.idempotencyKey;
    const bodyHash = crypto.createHash("sha256").update(JSON.stringify(request.body)).digest("hex");
    if (key !== undefined) {
      const earlier = remembered.get(key);
      if (earlier && earlier.path === request.path && earlier.bodyHash === bodyHash) {
        counters.replayed++;
        return earlier.answer;
      }
      if (earlier) {
        return { status: 409, body: { statusCode: 409, name: "invalid_idempotent_request", message: "Same idempotency key used with a different request payload. Change your idempotency key or payload." } };
      }
    }

    let result: FakeAnswer;
    if (request.path === "/emails") {
      const email = request.body as Record<string, unknown>;
      const problem = problemOf(email, false);
      if (problem) {
        counters.invalid++;
        return validationError(problem);
      }
      result = { status: 200, body: { id: create(email, key) } };
    } else {
      if (!Array.isArray(request.body)) return validationError("The batch must be an array of emails.");
      const batch = request.body as Record<string, unknown>[];
      if (batch.length > 100) return validationError("Too many emails in the batch: at most 100 are allowed.");
      const problems = batch.map((email) => problemOf(email, true));
      const permissive = request.headers["x-batch-validation"] === "permissive";
      const firstProblem = problems.find(Boolean);
      if (!permissive && firstProblem) {
        counters.invalid += problems.filter(Boolean).length;
        return validationError(firstProblem);
      }
      const data: { id: string }[] = [];
      const errors: { index: number; message: string }[] = [];
      batch.forEach((email, index) => {
        const problem = problems[index];
        if (problem) {
          counters.invalid++;
          errors.push({ index, message: problem });
        } else data.push({ id: create(email, key) });
      });
      result = { status: 200, body: permissive ? { data, errors } : { data } };
    }
    if (key !== undefined) remembered.set(key, { path: request.path, bodyHash, answer: result });
    return result;
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : (value ?? "")]));
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // recorded as text
      }
      const request: RecordedRequest = { method: req.method ?? "GET", path: (req.url ?? "/").split("?")[0]!, headers, idempotencyKey: headers["idempotency-key"], body, at: Date.now() };
      requests.push(request);
      counters.requests++;
      let reply: FakeAnswer;
      try {
        reply = await answer(request);
      } catch (error) {
        reply = { status: 500, body: { statusCode: 500, name: "internal_server_error", message: String(error) } };
      }
      request.status = reply.status;
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    options,
    requests,
    emails,
    counters,
    reset() {
      requests.length = 0;
      emails.length = 0;
      remembered.clear();
      admitted = [];
      Object.assign(counters, { requests: 0, accepted: 0, invalid: 0, rateLimited: 0, replayed: 0 });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
