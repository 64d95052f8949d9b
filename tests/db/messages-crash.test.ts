import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deliveries, messages, tasks } from "@/db/schema";
import { children, sharedDatabase, sleep, startChild, type Child, type Shared } from "../helpers/crash";
import { startFakeResend } from "../helpers/fake-resend";
import { makeSendingSetup, type SendingSetup } from "../helpers/sending";
import { startSmtpSink } from "../helpers/smtp-sink";

/**
 * Issue 14, "Done means" 2, the crash half: a message accepted by POST /api/v1/messages is sent
 * exactly once however the process dies around it. The work runs in child processes
 * (tests/helpers/message-child.ts accepts, tests/helpers/engine-child.ts sends) killed with
 * SIGKILL, sharing the database with this process (Postgres at TEST_DATABASE_URL when set, else
 * an embedded folder each child owns in turn).
 */

const MESSAGE_CHILD = "tests/helpers/message-child.ts";
const ENGINE_CHILD = "tests/helpers/engine-child.ts";
const TARGET = process.env.TEST_DATABASE_URL ? "postgres" : "pglite";

type Accepted = { taskId: string; replayed: boolean; deliveries: { id: string; email: string; status: string }[] };

/** The answer a message child printed once its transaction committed; fails when it exits first. */
async function acceptedBy(child: Child): Promise<Accepted> {
  let exited = false;
  void child.exited.then(() => (exited = true));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const line = /^accepted (.+)$/m.exec(child.output());
    if (line) return JSON.parse(line[1]!) as Accepted;
    if (exited || Date.now() > deadline) throw new Error(`The message child gave no answer:\n${child.output()}`);
    await sleep(5);
  }
}

async function finished(child: Child) {
  const code = await Promise.race([child.exited, sleep(90_000).then(() => "still running after 90 s")]);
  if (code !== 0) throw new Error(`The engine child ended with ${code}:\n${child.output()}`);
}

describe(`a transactional message and SIGKILL, in child processes [${TARGET}]`, { timeout: 150_000 }, () => {
  let shared: Shared;
  let setup: SendingSetup;

  beforeAll(async () => {
    shared = await sharedDatabase("fanout_message_crash");
    setup = await makeSendingSetup(await shared.connect(), { count: 1, quota: 100 });
    await shared.release();
  });
  afterEach(async () => {
    for (const child of [...children]) await child.kill();
    await shared.release();
  });
  afterAll(async () => {
    await shared?.drop();
  });

  const request = (email: string) => ({
    senderId: setup.senderId,
    departmentId: setup.departmentId,
    subject: "Order {{ order }} confirmed",
    html: "<p>Order {{ order }}</p>",
    to: [{ email, data: { order: "C-7" } }],
  });
  const baseEnv = () => ({
    ...shared.childEnv,
    FANOUT_RUNNER: "local",
    FANOUT_RUNNER_TICK_MS: "100",
    FANOUT_LEASE_SECONDS: "2",
    FANOUT_TOKEN_SECRET: "message-crash-token-secret",
    AUTH_SECRET: "message-crash-auth-secret",
  });

  async function rowsOf(taskId: string) {
    const db = await shared.connect();
    const rows = {
      tasks: await db.select({ status: tasks.status, sent: tasks.sent, reserved: tasks.reserved }).from(tasks).where(eq(tasks.id, taskId)),
      deliveries: await db.select({ status: deliveries.status }).from(deliveries).where(eq(deliveries.taskId, taskId)),
      messages: (await db.select({ taskId: messages.taskId }).from(messages).where(eq(messages.departmentId, setup.departmentId))).length,
    };
    await shared.release();
    return rows;
  }

  it("SMTP: killed after the 202 and before any send, the message is sent once after a restart, and the same request again answers the first answer and sends nothing", async () => {
    const sink = await startSmtpSink();
    try {
      const env = { ...baseEnv(), SMTP_URL: sink.url, MESSAGE_REQUEST: JSON.stringify(request("crash@orders.test")), MESSAGE_IDEMPOTENCY_KEY: "order-C-7" };
      const acceptor = startChild(MESSAGE_CHILD, env, ["accept"]);
      acceptor.go();
      const first = await acceptedBy(acceptor);
      await acceptor.kill();
      expect(first.deliveries).toEqual([{ id: expect.any(String), email: "crash@orders.test", status: "queued" }]);
      expect(sink.messages).toHaveLength(0);
      expect((await rowsOf(first.taskId)).deliveries).toEqual([{ status: "queued" }]);

      const engine = startChild(ENGINE_CHILD, env, ["finish", first.taskId]);
      engine.go();
      await finished(engine);
      await engine.kill();
      expect(sink.messages.map((message) => message.envelope.rcptTo)).toEqual([["crash@orders.test"]]);
      expect((await sink.messages[0]!.parse()).subject).toBe("Order C-7 confirmed");

      // The client never saw the 202 (its process died), so it asks again with the same key.
      const again = startChild(MESSAGE_CHILD, env, ["accept"]);
      again.go();
      expect(await acceptedBy(again)).toEqual({ ...first, replayed: true });
      await again.kill();
      expect(sink.messages).toHaveLength(1);
      expect(await rowsOf(first.taskId)).toEqual({ tasks: [{ status: "completed", sent: 1, reserved: 0 }], deliveries: [{ status: "sent" }], messages: 1 });
    } finally {
      await sink.close();
    }
  });

  it("Resend: killed after the message reached the provider and before its answer was recorded, the restarted engine sends it again under the same idempotency key and the provider creates it once", async () => {
    let arrived = false;
    let releaseAnswer: () => void = () => undefined;
    const killed = new Promise<void>((resolve) => (releaseAnswer = resolve));
    const resend = await startFakeResend({
      apiKey: "re_message_crash",
      // The first request is held until its sender is dead; then the fake creates the email, answering no one.
      intercept: async () => {
        if (arrived) return undefined;
        arrived = true;
        await killed;
        return undefined;
      },
    });
    try {
      const env = {
        ...baseEnv(),
        RESEND_API_KEY: "re_message_crash",
        RESEND_BASE_URL: resend.url,
        RESEND_REQUESTS_PER_SECOND: "0",
        MESSAGE_REQUEST: JSON.stringify(request("provider@orders.test")),
        MESSAGE_IDEMPOTENCY_KEY: "order-C-8",
      };
      const sender = startChild(MESSAGE_CHILD, env, ["accept-send"]);
      sender.go();
      const first = await acceptedBy(sender);
      const deadline = Date.now() + 60_000;
      while (!arrived) {
        if (Date.now() > deadline) throw new Error(`The message never reached the provider:\n${sender.output()}`);
        await sleep(2);
      }
      await sender.kill();
      releaseAnswer();
      expect((await rowsOf(first.taskId)).deliveries).toEqual([{ status: "sending" }]);

      const engine = startChild(ENGINE_CHILD, env, ["finish", first.taskId]);
      engine.go();
      await finished(engine);
      await engine.kill();
      const sends = resend.requests.filter((entry) => entry.path.startsWith("/emails"));
      expect(sends.length).toBeGreaterThanOrEqual(2);
      expect(new Set(sends.map((entry) => entry.idempotencyKey)).size).toBe(1);
      expect(resend.emails).toHaveLength(1);
      expect(resend.counters.replayed).toBeGreaterThanOrEqual(1);
      expect((await rowsOf(first.taskId)).tasks).toEqual([{ status: "completed", sent: 1, reserved: 0 }]);
    } finally {
      releaseAnswer();
      await resend.close();
    }
  });
});
