import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import canonicalize from "canonicalize";

/**
 * Inngest Cloud on loopback, for a hosted-shaped run (the Inngest dev server and inngest-cli
 * cannot run here): the app is pointed at it with INNGEST_BASE_URL and real keys, so it is in
 * cloud mode and checks every request's signature.
 *
 * - `sync(appUrl)` asks the app to sync (PUT /api/inngest), as a deploy does; the SDK registers its
 *   functions at `POST /fn/register` with the hashed signing key.
 * - Events the app sends (`POST /e/:eventKey`) start a run of every function they trigger.
 * - A run is driven through the serve endpoint with the SDK's own protocol (execution version 2,
 *   no checkpointing): each request carries the memoised steps and is signed
 *   (`X-Inngest-Signature: t=…&s=HMAC-SHA256(canonical body + t)`); 206 answers a step's result (memoised,
 *   then the run is called again), 200 ends the run, 5xx is retried up to 3 attempts.
 * - Each function's `concurrency.limit` is honoured per function (its key is not: stricter).
 * - `runCron(slug)` runs a cron function now, instead of waiting for its schedule.
 */
export type FakeInngestRun = { id: string; fn: string; event: InngestEvent; status: "queued" | "running" | "completed" | "failed"; requests: number; error?: string; startedAt?: number; endedAt?: number };
type InngestEvent = { name: string; data: Record<string, unknown>; id?: string; ts?: number };
type RegisteredFunction = { id: string; triggers: { event?: string; cron?: string }[]; concurrency?: { limit?: number } | { limit?: number }[]; url: string };
type Op = { id: string; op: string; name?: string; data?: unknown; error?: unknown };

export type FakeInngest = {
  url: string;
  env: Record<string, string>;
  functions: Map<string, RegisteredFunction>;
  events: InngestEvent[];
  runs: FakeInngestRun[];
  /** Requests that reached the fake without the right key (the app's event key, the signing key's hash). */
  refused: string[];
  sync: (appUrl: string) => Promise<void>;
  runCron: (slug: string) => Promise<FakeInngestRun>;
  /** Resolves once no run is queued or running (and none started for `quietMs`). */
  settled: (timeoutMs?: number) => Promise<void>;
  close: () => Promise<void>;
};

const MAX_ATTEMPTS = 3;
const MAX_REQUESTS_PER_RUN = 10_000;

export async function startFakeInngest(appId = "fanout"): Promise<FakeInngest> {
  const signingKey = `signkey-test-${crypto.randomBytes(32).toString("hex")}`;
  const eventKey = `event-key-${crypto.randomBytes(8).toString("hex")}`;
  const hashedSigningKey = `signkey-test-${crypto.createHash("sha256").update(Buffer.from(signingKey.replace(/^signkey-test-/, ""), "hex")).digest("hex")}`;
  const functions = new Map<string, RegisteredFunction>();
  const events: InngestEvent[] = [];
  const runs: FakeInngestRun[] = [];
  const refused: string[] = [];
  const running = new Map<string, number>();
  const waiting = new Map<string, (() => void)[]>();
  let registered: () => void = () => {};

  const server = http.createServer(async (request, response) => {
    const body = await readBody(request);
    const answer = (status: number, value: unknown) => response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
    if (request.method === "POST" && request.url?.startsWith("/fn/register")) {
      if (request.headers.authorization !== `Bearer ${hashedSigningKey}`) return refused.push("register"), answer(401, { error: "unauthorized" });
      const config = JSON.parse(body) as { functions: { id: string; triggers: RegisteredFunction["triggers"]; concurrency?: RegisteredFunction["concurrency"]; steps: Record<string, { runtime: { url: string } }> }[] };
      for (const fn of config.functions) functions.set(fn.id, { id: fn.id, triggers: fn.triggers, concurrency: fn.concurrency, url: Object.values(fn.steps)[0]!.runtime.url });
      registered();
      return answer(200, { ok: true, modified: true });
    }
    const eventPath = /^\/e\/([^/?]+)/.exec(request.url ?? "");
    if (request.method === "POST" && eventPath) {
      if (eventPath[1] !== eventKey) return refused.push("event"), answer(401, { error: "Event key not found", status: 401 });
      const sent = [JSON.parse(body) as InngestEvent | InngestEvent[]].flat();
      const ids = sent.map((event) => {
        const withId = { ...event, id: event.id ?? crypto.randomUUID(), ts: event.ts ?? Date.now() };
        events.push(withId);
        for (const fn of functions.values()) if (fn.triggers.some((trigger) => trigger.event === event.name)) start(fn, withId);
        return withId.id;
      });
      return answer(200, { ids, status: 200 });
    }
    answer(404, { error: "not found" });
  });

  function limitOf(fn: RegisteredFunction): number {
    const limits = [fn.concurrency ?? []].flat().map((rule) => rule.limit ?? Infinity);
    return Math.min(Infinity, ...limits);
  }

  function start(fn: RegisteredFunction, event: InngestEvent): FakeInngestRun {
    const run: FakeInngestRun = { id: crypto.randomUUID(), fn: fn.id, event, status: "queued", requests: 0 };
    runs.push(run);
    void (async () => {
      while ((running.get(fn.id) ?? 0) >= limitOf(fn)) await new Promise<void>((resolve) => waiting.set(fn.id, [...(waiting.get(fn.id) ?? []), resolve]));
      running.set(fn.id, (running.get(fn.id) ?? 0) + 1);
      run.status = "running";
      run.startedAt = Date.now();
      try {
        await execute(fn, run);
        run.status = "completed";
      } catch (error) {
        run.status = "failed";
        run.error = (error as Error).message;
      } finally {
        run.endedAt = Date.now();
        running.set(fn.id, running.get(fn.id)! - 1);
        waiting.get(fn.id)?.shift()?.();
      }
    })();
    return run;
  }

  async function execute(fn: RegisteredFunction, run: FakeInngestRun) {
    const steps: Record<string, unknown> = {};
    const stack: string[] = [];
    let attempt = 0;
    const call = async (stepId: string): Promise<{ status: number; ops: Op[]; text: string }> => {
      if (++run.requests > MAX_REQUESTS_PER_RUN) throw new Error(`more than ${MAX_REQUESTS_PER_RUN} requests`);
      // The SDK parses the body and checks the signature over its canonical JSON (RFC 8785): sent as that.
      const body = canonicalize({
        version: 2,
        event: run.event,
        events: [run.event],
        steps,
        ctx: { run_id: run.id, attempt, disable_immediate_execution: false, use_api: false, stack: { stack, current: stack.length } },
      })!;
      const url = new URL(fn.url);
      url.searchParams.set("stepId", stepId);
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", "x-inngest-signature": sign(body, signingKey) }, body });
      const text = await response.text();
      const parsed = response.status === 206 ? (JSON.parse(text) as Op | Op[]) : [];
      return { status: response.status, ops: [parsed].flat(), text };
    };
    const memoise = (op: Op) => {
      steps[op.id] = op.op === "StepFailed" ? { type: "error", error: op.error } : { type: "data", data: op.data ?? null };
      stack.push(op.id);
    };
    for (;;) {
      const { status, ops, text } = await call("step");
      if (status === 200) return;
      if (status !== 206) {
        if (++attempt >= MAX_ATTEMPTS || status < 500) throw new Error(`${fn.id} answered ${status}: ${text.slice(0, 500)}`);
        continue;
      }
      for (const op of ops) {
        if (op.op === "StepRun" || op.op === "Step" || op.op === "StepFailed") memoise(op);
        else if (op.op === "StepError") {
          if (++attempt >= MAX_ATTEMPTS) memoise({ ...op, op: "StepFailed" });
        } else if (op.op === "Sleep") {
          await sleepUntil(op.name ?? "");
          memoise({ ...op, data: null });
        } else if (op.op === "StepPlanned") {
          const planned = await call(op.id);
          for (const result of planned.ops) memoise(result);
        } else throw new Error(`${fn.id}: the fake does not implement the ${op.op} step`);
      }
    }
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    env: { INNGEST_BASE_URL: url, INNGEST_SIGNING_KEY: signingKey, INNGEST_EVENT_KEY: eventKey },
    functions,
    events,
    runs,
    refused,
    sync: async (appUrl) => {
      const done = new Promise<void>((resolve) => (registered = resolve));
      const response = await fetch(`${appUrl}/api/inngest`, { method: "PUT" });
      if (!response.ok) throw new Error(`sync: the app answered ${response.status}: ${await response.text()}`);
      await done;
    },
    runCron: async (slug) => {
      const fn = functions.get(`${appId}-${slug}`);
      if (!fn) throw new Error(`no function ${appId}-${slug} was registered`);
      return start(fn, { name: "inngest/scheduled.timer", data: { cron: fn.triggers[0]?.cron ?? "" }, id: crypto.randomUUID(), ts: Date.now() });
    },
    settled: async (timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      let quietSince = Date.now();
      for (;;) {
        const busy = runs.some((run) => run.status === "queued" || run.status === "running");
        if (busy) quietSince = Date.now();
        else if (Date.now() - quietSince >= 300) return;
        if (Date.now() > deadline) throw new Error(`runs still busy after ${timeoutMs} ms: ${runs.filter((run) => run.status !== "completed" && run.status !== "failed").map((run) => run.fn).join(", ")}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function sign(body: string, signingKey: string): string {
  const timestamp = String(Math.round(Date.now() / 1000));
  const key = signingKey.replace(/^signkey-\w+-/, "");
  return `t=${timestamp}&s=${crypto.createHmac("sha256", key).update(body + timestamp).digest("hex")}`;
}

async function sleepUntil(when: string) {
  const at = Date.parse(when);
  if (!Number.isFinite(at)) throw new Error(`the fake only sleeps until a date (step.sleepUntil), not "${when}"`);
  const wait = at - Date.now();
  if (wait > 120_000) throw new Error(`a sleep of ${Math.round(wait / 1000)} s is longer than a test waits`);
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}
