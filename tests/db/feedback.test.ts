import { and, eq, sql } from "drizzle-orm";
import { Webhook } from "svix";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { contacts, deliveries, deliveryEvents, suppressions, tasks } from "@/db/schema";
import { addressToken } from "@/lib/tokens/delivery-addresses";
import { LocalRunner } from "@/lib/sending/runner";
import { createTask } from "@/lib/sending/tasks";
import { createResendTransport, createSmtpTransport } from "@/lib/transports";
import type { Transport } from "@/lib/transports/types";
import { describeOnDatabases } from "../helpers/db";
import { startFakeResend, type FakeResend } from "../helpers/fake-resend";
import { makeSendingSetup, taskInput, testSendingConfig, type SendingSetup } from "../helpers/sending";
import { snapshotState } from "../helpers/snapshot";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";
import nodemailer from "nodemailer";
import { createEntrance, listen } from "@/lib/gateway/entrance";
import { GET as failureStats } from "@/app/api/v1/stats/failures/route";
import { createApiKey } from "@/lib/accounts/api-keys";
import { systemActor } from "@/lib/access/actor";
import { POST as inboundPost } from "@/app/api/webhooks/inbound/route";
import { POST as resendPost } from "@/app/api/webhooks/resend/route";

const WEBHOOK_SECRET = `whsec_${Buffer.from("fanout feedback test secret, 32 bytes!").toString("base64")}`;

/** An RFC 3464 report as an MTA sends it back to the return path of the message that failed. */
function deliveryStatusReport(to: string, recipient: string, options: { action?: string; status: string; diagnostic: string }) {
  return Buffer.from(
    [
      `From: MAILER-DAEMON@mx.recipient.test (Mail Delivery System)`,
      `To: ${to}`,
      `Subject: Undelivered Mail Returned to Sender`,
      `Date: Wed, 25 Nov 2026 10:00:00 +0800`,
      `MIME-Version: 1.0`,
      `Content-Type: multipart/report; report-type=delivery-status; boundary="B"`,
      ``,
      `--B`,
      `Content-Type: text/plain; charset=us-ascii`,
      ``,
      `I'm sorry to have to inform you that your message could not be delivered.`,
      ``,
      `--B`,
      `Content-Type: message/delivery-status`,
      ``,
      `Reporting-MTA: dns; mx.recipient.test`,
      ``,
      `Final-Recipient: rfc822; ${recipient}`,
      `Action: ${options.action ?? "failed"}`,
      `Status: ${options.status}`,
      `Diagnostic-Code: smtp; ${options.diagnostic}`,
      ``,
      `--B--`,
      ``,
    ].join("\r\n"),
  );
}

function inbound(raw: Buffer, query = "") {
  return inboundPost(new Request(`http://fanout.test/api/webhooks/inbound${query}`, { method: "POST", body: new Uint8Array(raw), headers: { "content-type": "message/rfc822" } }));
}

function signedResendEvent(event: Record<string, unknown>, options: { id?: string; secret?: string; at?: Date } = {}) {
  const body = JSON.stringify(event);
  const id = options.id ?? `msg_${crypto.randomUUID()}`;
  const at = options.at ?? new Date();
  const signature = new Webhook(options.secret ?? WEBHOOK_SECRET).sign(id, at, body);
  return new Request("http://fanout.test/api/webhooks/resend", {
    method: "POST",
    body,
    headers: { "content-type": "application/json", "svix-id": id, "svix-timestamp": String(Math.floor(at.getTime() / 1000)), "svix-signature": signature },
  });
}

describeOnDatabases("delivery feedback", (db) => {
  let sink: SmtpSink;
  let resend: FakeResend;
  const savedSecret = process.env.RESEND_WEBHOOK_SECRET;

  beforeAll(async () => {
    sink = await startSmtpSink();
    resend = await startFakeResend();
    process.env.RESEND_WEBHOOK_SECRET = WEBHOOK_SECRET;
  });
  afterAll(async () => {
    await sink?.close();
    await resend?.close();
    if (savedSecret === undefined) delete process.env.RESEND_WEBHOOK_SECRET;
    else process.env.RESEND_WEBHOOK_SECRET = savedSecret;
  });
  afterEach(() => sink.reset());

  async function sendTask(setup: SendingSetup, transport: Transport) {
    const created = await createTask(setup.ctx, taskInput(setup));
    const engine = new LocalRunner(db(), { transport, config: testSendingConfig(), log: () => undefined });
    try {
      await engine.drain();
    } finally {
      await engine.stop();
    }
    return created.id;
  }

  async function deliveryOf(taskId: string, email: string) {
    const [row] = await db().select().from(deliveries).where(and(eq(deliveries.taskId, taskId), eq(deliveries.email, email)));
    return row!;
  }

  async function taskRow(taskId: string) {
    const [row] = await db().select().from(tasks).where(eq(tasks.id, taskId));
    return row!;
  }

  async function rollupFor(departmentId: string) {
    const [row] = await queryRows<Record<string, number>>(
      db(),
      sql`select sum(sent)::int as sent, sum(failed)::int as failed, sum(bounced)::int as bounced, sum(user_unknown)::int as user_unknown, sum(mailbox_full)::int as mailbox_full,
                 sum(rejected)::int as rejected, sum(delivered)::int as delivered, sum(complained)::int as complained
          from delivery_daily where department_id = ${departmentId}`,
    );
    return row!;
  }

  /** What a department's CRM reads from the stats API for today's failures. */
  async function failuresToday(departmentId: string) {
    const key = (await createApiKey({ db: db(), actor: systemActor("test") }, { name: "reports", scope: { company: false, departmentId } })).secret;
    const stats = await failureStats(new Request("http://fanout.test/api/v1/stats/failures?period=today", { headers: { authorization: `Bearer ${key}` } }), { params: Promise.resolve({}) });
    expect(stats.status).toBe(200);
    const { total, rows } = (await stats.json()) as { total: number; rows: Record<string, unknown>[] };
    return { total, rows };
  }

  it("takes an asynchronous bounce posted to the inbound webhook at the delivery's return path, and suppresses a hard one", async () => {
    const setup = await makeSendingSetup(db(), { emails: ["gone@feedback.test", "full@feedback.test", "fine@feedback.test"] });
    const taskId = await sendTask(setup, createSmtpTransport({ url: sink.url }));
    const returnPaths = new Map(sink.messages.map((message) => [message.envelope.rcptTo[0]!, message.envelope.mailFrom]));
    expect([...returnPaths.values()].every((from) => /^bounce\+[0-9a-z]+-[0-9a-f]{20}@/.test(from))).toBe(true);
    const gone = await deliveryOf(taskId, "gone@feedback.test");
    expect(returnPaths.get("gone@feedback.test")).toContain(`bounce+${addressToken("bounce", gone.id)}@`);
    expect(await rollupFor(setup.departmentId)).toMatchObject({ sent: 3, failed: 0 });

    const bounce = deliveryStatusReport(returnPaths.get("gone@feedback.test")!, "gone@feedback.test", { status: "5.1.1", diagnostic: "550 5.1.1 <gone@feedback.test>: Recipient address rejected: User unknown in virtual mailbox table" });
    const answer = await inbound(bounce);
    expect(answer.status).toBe(202);
    expect(await answer.json()).toMatchObject({ outcome: "applied", kind: "bounce", category: "user_unknown", status: "5.1.1" });

    expect(await deliveryOf(taskId, "gone@feedback.test")).toMatchObject({ status: "failed", category: "user_unknown", enhancedStatus: "5.1.1" });
    expect(await taskRow(taskId)).toMatchObject({ sent: 3, failed: 1, bounced: 1 });
    expect(await rollupFor(setup.departmentId)).toMatchObject({ sent: 3, failed: 1, bounced: 1, user_unknown: 1 });
    const suppressed = await db().select().from(suppressions).where(eq(suppressions.departmentId, setup.departmentId));
    expect(suppressed.map((row) => [row.email, row.reason])).toEqual([["gone@feedback.test", "hard_bounce"]]);
    const [contact] = await db().select().from(contacts).where(and(eq(contacts.departmentId, setup.departmentId), eq(contacts.email, "gone@feedback.test")));
    expect(contact!.status).toBe("bounced");

    // The failure report says so, for the day the bounce came back.
    expect(await failuresToday(setup.departmentId)).toEqual({ total: 1, rows: [expect.objectContaining({ failed: 1, user_unknown: 1, mailbox_full: 0, rejected: 0, other: 0 })] });

    // The same report again (an MTA retrying its notice) joins the trail and moves nothing.
    expect(await (await inbound(bounce)).json()).toMatchObject({ outcome: "recorded" });
    expect(await taskRow(taskId)).toMatchObject({ failed: 1, bounced: 1 });

    // A full mailbox is a failure but not (yet) a reason to suppress; a delay notice only joins the trail.
    const full = await inbound(deliveryStatusReport(returnPaths.get("full@feedback.test")!, "full@feedback.test", { status: "5.2.2", diagnostic: "552 5.2.2 Mailbox full: quota exceeded" }));
    expect(await full.json()).toMatchObject({ outcome: "applied", category: "mailbox_full" });
    const delayed = await inbound(deliveryStatusReport(returnPaths.get("fine@feedback.test")!, "fine@feedback.test", { action: "delayed", status: "4.4.1", diagnostic: "451 4.4.1 connection timed out, still trying" }));
    expect(await delayed.json()).toMatchObject({ outcome: "recorded", kind: "delay" });
    expect(await deliveryOf(taskId, "fine@feedback.test")).toMatchObject({ status: "sent", category: null });
    expect(await taskRow(taskId)).toMatchObject({ sent: 3, failed: 2, bounced: 2 });
    expect(await rollupFor(setup.departmentId)).toMatchObject({ failed: 2, user_unknown: 1, mailbox_full: 1 });
    expect((await db().select().from(suppressions).where(eq(suppressions.departmentId, setup.departmentId))).length).toBe(1);
    const trail = await db().select().from(deliveryEvents).where(eq(deliveryEvents.deliveryId, (await deliveryOf(taskId, "fine@feedback.test")).id));
    expect(trail.map((event) => [event.type, event.source])).toEqual([["delayed", "inbound"]]);
  });

  it("unsubscribes a recipient who mails the List-Unsubscribe address, once", async () => {
    const setup = await makeSendingSetup(db(), { emails: ["leaving@mailto.test"] });
    const taskId = await sendTask(setup, createSmtpTransport({ url: sink.url }));
    const raw = sink.messages.find((item) => item.envelope.rcptTo[0] === "leaving@mailto.test")!.raw.toString("utf8");
    const header = /^List-Unsubscribe:(.*(?:\r\n[ \t].*)*)/im.exec(raw)?.[1] ?? "";
    const mailto = /<mailto:([^>]+)>/.exec(header.replace(/\r\n[ \t]+/g, " "))?.[1];
    expect(mailto).toMatch(/^unsubscribe\+[0-9a-z]+-[0-9a-f]{20}@/);
    const request = Buffer.from(`From: leaving@mailto.test\r\nTo: ${mailto}\r\nSubject: unsubscribe\r\n\r\nunsubscribe\r\n`);
    expect(await (await inbound(request)).json()).toMatchObject({ outcome: "unsubscribed", already: false });
    expect(await (await inbound(request)).json()).toMatchObject({ outcome: "unsubscribed", already: true });
    const suppressed = await db().select().from(suppressions).where(eq(suppressions.departmentId, setup.departmentId));
    expect(suppressed.map((row) => [row.email, row.reason])).toEqual([["leaving@mailto.test", "unsubscribed"]]);
    expect(await taskRow(taskId)).toMatchObject({ unsubscribed: 1 });
  });

  it("changes nothing for a message whose return path has an unknown, forged or missing token", async () => {
    const setup = await makeSendingSetup(db(), { emails: ["target@forged.test"] });
    const taskId = await sendTask(setup, createSmtpTransport({ url: sink.url }));
    const target = await deliveryOf(taskId, "target@forged.test");
    const realToken = addressToken("bounce", target.id);
    const report = (to: string) => deliveryStatusReport(to, "target@forged.test", { status: "5.1.1", diagnostic: "550 5.1.1 user unknown" });
    const before = await snapshotState(db());

    const forged = `${target.id.toString(36)}-${"0".repeat(20)}`;
    const altered = `${(target.id + 1).toString(36)}-${realToken.split("-")[1]}`;
    const unsubscribeTokenAsBounce = addressToken("unsubscribe", target.id);
    for (const token of [forged, altered, unsubscribeTokenAsBounce, "not-a-token"]) {
      const answer = await inbound(report(`bounce+${token}@bounces.fanout.test`));
      expect(answer.status, token).toBe(404);
    }
    const unknownDelivery = `bounce+${addressToken("bounce", 987_654_321)}@bounces.fanout.test`;
    expect((await inbound(report(unknownDelivery))).status).toBe(404);
    const noFeedbackAddress = await inbound(report("postmaster@forged.test"));
    expect(noFeedbackAddress.status).toBe(422);
    expect((await noFeedbackAddress.json()).error.message).toMatch(/bounce\+/);
    expect((await inbound(Buffer.alloc(0))).status).toBe(400);

    expect(await snapshotState(db())).toBe(before);
    // The envelope recipient a relay passes in `?to=` is enough, whatever the headers say.
    const viaEnvelope = await inbound(report("someone-else@forged.test"), `?to=${encodeURIComponent(`bounce+${realToken}@bounces.fanout.test`)}`);
    expect(await viaEnvelope.json()).toMatchObject({ outcome: "applied", category: "user_unknown" });
  });

  it("takes bounces through the SMTP entrance, refusing forged return paths at RCPT with a reply that says why", async () => {
    const setup = await makeSendingSetup(db(), { emails: ["smtp-gone@entrance.test"] });
    const taskId = await sendTask(setup, createSmtpTransport({ url: sink.url }));
    const returnPath = sink.messages.find((message) => message.envelope.rcptTo[0] === "smtp-gone@entrance.test")!.envelope.mailFrom;
    const server = createEntrance(db());
    const port = await listen(server, 0, "127.0.0.1");
    const client = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true });
    try {
      const report = deliveryStatusReport(returnPath, "smtp-gone@entrance.test", { status: "5.1.1", diagnostic: "550 5.1.1 user unknown" });
      const info = await client.sendMail({ envelope: { from: "", to: [returnPath] }, raw: report });
      expect(info.response).toMatch(/^250 .*applied/);
      expect(await deliveryOf(taskId, "smtp-gone@entrance.test")).toMatchObject({ status: "failed", category: "user_unknown" });

      const before = await snapshotState(db());
      const forged = returnPath.replace(/-[0-9a-f]{20}@/, `-${"f".repeat(20)}@`);
      await expect(client.sendMail({ envelope: { from: "", to: [forged] }, raw: report })).rejects.toMatchObject({ responseCode: 550, response: expect.stringMatching(/unknown or forged token/) });
      await expect(client.sendMail({ envelope: { from: "", to: ["someone@elsewhere.test"] }, raw: report })).rejects.toMatchObject({ responseCode: 550, response: expect.stringMatching(/relaying denied/) });
      expect(await snapshotState(db())).toBe(before);
    } finally {
      client.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("applies signed Resend events once each: delivered, bounced, complained; refuses bad signatures and ignores unknown messages", async () => {
    const setup = await makeSendingSetup(db(), { emails: ["delivered@resend-events.test", "bounced@resend-events.test", "complained@resend-events.test"] });
    const taskId = await sendTask(setup, createResendTransport({ apiKey: "re_test", baseUrl: resend.url }));
    const providerIds = new Map<string, string>();
    for (const email of ["delivered@resend-events.test", "bounced@resend-events.test", "complained@resend-events.test"]) {
      const row = await deliveryOf(taskId, email);
      expect(row.providerId, email).toBeTruthy();
      providerIds.set(email, row.providerId!);
    }
    const event = (type: string, email: string, extra: Record<string, unknown> = {}) => ({
      type,
      created_at: new Date().toISOString(),
      data: { email_id: providerIds.get(email), from: "news@example.org", to: [email], subject: "Hello", ...extra },
    });

    // Refused: wrong secret, tampered body, stale timestamp, no signature at all. Nothing changes.
    const before = await snapshotState(db());
    const wrongSecret = signedResendEvent(event("email.bounced", "bounced@resend-events.test"), { secret: `whsec_${Buffer.from("another secret entirely").toString("base64")}` });
    expect((await resendPost(wrongSecret)).status).toBe(401);
    const genuine = signedResendEvent(event("email.bounced", "bounced@resend-events.test"));
    const tampered = new Request(genuine.url, { method: "POST", headers: genuine.headers, body: (await genuine.clone().text()).replace("bounced@", "delivered@") });
    expect((await resendPost(tampered)).status).toBe(401);
    const stale = signedResendEvent(event("email.bounced", "bounced@resend-events.test"), { at: new Date(Date.now() - 10 * 60_000) });
    expect((await resendPost(stale)).status).toBe(401);
    const unsigned = new Request("http://fanout.test/api/webhooks/resend", { method: "POST", body: JSON.stringify(event("email.bounced", "bounced@resend-events.test")) });
    expect((await resendPost(unsigned)).status).toBe(401);
    const unknown = await resendPost(signedResendEvent({ type: "email.bounced", data: { email_id: "4ef9a417-02e9-4d39-ad75-9611e0fcc33c", bounce: { type: "Permanent" } } }));
    expect(await unknown.json()).toEqual({ result: "ignored" });
    expect(await snapshotState(db())).toBe(before);

    const delivered = signedResendEvent(event("email.delivered", "delivered@resend-events.test"), { id: "msg_delivered_1" });
    expect(await (await resendPost(delivered)).json()).toEqual({ result: "applied" });
    const bounced = event("email.bounced", "bounced@resend-events.test", {
      bounce: { type: "Permanent", subType: "General", message: "550 5.1.1 The email account that you tried to reach does not exist." },
    });
    expect(await (await resendPost(signedResendEvent(bounced, { id: "msg_bounced_1" }))).json()).toEqual({ result: "applied" });
    // Resend redelivers an event until it is acknowledged: the same svix id changes nothing.
    expect(await (await resendPost(signedResendEvent(bounced, { id: "msg_bounced_1" }))).json()).toEqual({ result: "duplicate" });
    expect(await (await resendPost(signedResendEvent(event("email.complained", "complained@resend-events.test"), { id: "msg_complained_1" }))).json()).toEqual({ result: "applied" });

    expect(await deliveryOf(taskId, "delivered@resend-events.test")).toMatchObject({ status: "delivered" });
    expect(await deliveryOf(taskId, "bounced@resend-events.test")).toMatchObject({ status: "failed", category: "user_unknown", enhancedStatus: "5.1.1" });
    expect((await deliveryOf(taskId, "complained@resend-events.test")).complainedAt).toBeInstanceOf(Date);
    expect(await taskRow(taskId)).toMatchObject({ sent: 3, delivered: 1, failed: 1, bounced: 1, complained: 1 });
    expect(await rollupFor(setup.departmentId)).toMatchObject({ sent: 3, delivered: 1, failed: 1, bounced: 1, user_unknown: 1, complained: 1 });
    expect(await failuresToday(setup.departmentId)).toEqual({ total: 1, rows: [expect.objectContaining({ failed: 1, user_unknown: 1, mailbox_full: 0, rejected: 0, other: 0 })] });
    const suppressed = await db().select().from(suppressions).where(eq(suppressions.departmentId, setup.departmentId));
    expect(suppressed.map((row) => [row.email, row.reason]).sort()).toEqual([
      ["bounced@resend-events.test", "hard_bounce"],
      ["complained@resend-events.test", "complaint"],
    ]);
  });
});
