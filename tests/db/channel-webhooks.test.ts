import crypto from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { auditLog, channelSuppressions, deliveries, suppressions, tasks } from "@/db/schema";
import { LocalRunner } from "@/lib/sending/runner";
import { createTask } from "@/lib/sending/tasks";
import { createSmtpTransport } from "@/lib/transports";
import { POST as aliyunPost } from "@/app/api/webhooks/sms/aliyun/[token]/[kind]/route";
import { POST as twilioPost } from "@/app/api/webhooks/sms/twilio/route";
import { GET as whatsappGet, POST as whatsappPost } from "@/app/api/webhooks/whatsapp/route";
import { describeOnDatabases } from "../helpers/db";
import { signTwilio } from "../helpers/fake-twilio";
import { makeDepartment } from "../helpers/factories";
import { makeSendingSetup, taskInput, testSendingConfig, type SendingSetup } from "../helpers/sending";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

const TWILIO_TOKEN = "twilio-auth-token-for-tests";
const TWILIO_URL = "http://fanout.test/api/webhooks/sms/twilio";
const WHATSAPP_SECRET = "whatsapp-app-secret-for-tests";
const WHATSAPP_VERIFY = "verify-me-please";
const PUSH_TOKEN = "a".repeat(16) + crypto.randomBytes(12).toString("hex");

const ENV: Record<string, string> = {
  FANOUT_SMS_PROVIDER: "twilio",
  FANOUT_SMS_TWILIO_ACCOUNT_SID: "AC00000000000000000000000000000001",
  FANOUT_SMS_TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
  FANOUT_SMS_TWILIO_FROM: "+15005550006",
  FANOUT_WHATSAPP_TOKEN: "whatsapp-token",
  FANOUT_WHATSAPP_PHONE_NUMBER_ID: "1234567890",
  FANOUT_WHATSAPP_APP_SECRET: WHATSAPP_SECRET,
  FANOUT_WHATSAPP_VERIFY_TOKEN: WHATSAPP_VERIFY,
};

function twilio(params: Record<string, string>, signature: string | null = signTwilio(TWILIO_TOKEN, TWILIO_URL, params)) {
  return twilioPost(
    new Request(TWILIO_URL, {
      method: "POST",
      body: new URLSearchParams(params).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", ...(signature ? { "x-twilio-signature": signature } : {}) },
    }),
  );
}

function whatsapp(notification: unknown, secret = WHATSAPP_SECRET) {
  const body = JSON.stringify(notification);
  const signature = `sha256=${crypto.createHmac("sha256", secret).update(body).digest("hex")}`;
  return whatsappPost(new Request("http://fanout.test/api/webhooks/whatsapp", { method: "POST", body, headers: { "content-type": "application/json", "x-hub-signature-256": signature } }));
}

function whatsappNotification(value: Record<string, unknown>) {
  return { object: "whatsapp_business_account", entry: [{ id: "waba", changes: [{ field: "messages", value: { messaging_product: "whatsapp", ...value } }] }] };
}

function aliyun(token: string, kind: string, events: unknown[]) {
  return aliyunPost(new Request(`http://fanout.test/api/webhooks/sms/aliyun/${token}/${kind}`, { method: "POST", body: JSON.stringify(events), headers: { "content-type": "application/json" } }), {
    params: Promise.resolve({ token, kind }),
  });
}

describeOnDatabases("channel webhooks: receipts and opt-out replies", (db) => {
  let sink: SmtpSink;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    sink = await startSmtpSink();
    for (const [name, value] of Object.entries(ENV)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });
  afterAll(async () => {
    await sink?.close();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  afterEach(() => sink.reset());

  /** A task sent to its pool, one of whose deliveries is then said to have gone out through an SMS provider as `providerId`. */
  async function sentDelivery(setup: SendingSetup, providerId: string) {
    const created = await createTask(setup.ctx, taskInput(setup));
    const transport = createSmtpTransport({ url: sink.url });
    const engine = new LocalRunner(db(), { transport, config: testSendingConfig(), log: () => undefined });
    try {
      await engine.drain();
    } finally {
      await engine.stop();
      await transport.close();
    }
    const [row] = await queryRows<{ id: string | number }>(db(), sql`update deliveries set provider_id = ${providerId} where id = (select min(id) from deliveries where task_id = ${created.id}) returning id`);
    return { taskId: created.id, deliveryId: Number(row!.id) };
  }

  const optOuts = (address: string) =>
    db().select({ departmentId: channelSuppressions.departmentId, channel: channelSuppressions.channel, reason: channelSuppressions.reason }).from(channelSuppressions).where(eq(channelSuppressions.address, address));

  it("takes a number off SMS in every department when it replies TD, and leaves e-mail and WhatsApp alone", async () => {
    const first = await makeDepartment(db());
    const second = await makeDepartment(db());
    const number = `+861380013${String(crypto.randomInt(1000, 9999))}`;
    const emailSuppressionsBefore = (await db().select().from(suppressions)).length;

    const answer = await twilio({ MessageSid: "SMreply0001", From: number, To: "+15005550006", Body: " TD ", SmsStatus: "received" });
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe("<Response></Response>");

    const entries = await optOuts(number);
    expect(entries.filter((entry) => entry.departmentId === first.id || entry.departmentId === second.id)).toEqual(
      expect.arrayContaining([
        { departmentId: first.id, channel: "sms", reason: "opted_out" },
        { departmentId: second.id, channel: "sms", reason: "opted_out" },
      ]),
    );
    expect(entries.every((entry) => entry.channel === "sms")).toBe(true);
    expect((await db().select().from(suppressions)).length).toBe(emailSuppressionsBefore);
    const audited = await db().select({ action: auditLog.action, summary: auditLog.summary }).from(auditLog).where(and(eq(auditLog.action, "channel_suppression.reply"), eq(auditLog.departmentId, first.id)));
    expect(audited).toEqual([{ action: "channel_suppression.reply", summary: `${number} replied "TD" and was opted out of SMS` }]);

    // Said again: nothing new, nothing audited twice.
    expect((await twilio({ MessageSid: "SMreply0002", From: number, Body: "退订", SmsStatus: "received" })).status).toBe(200);
    expect((await optOuts(number)).length).toBe(entries.length);
    expect((await db().select().from(auditLog).where(and(eq(auditLog.action, "channel_suppression.reply"), eq(auditLog.departmentId, first.id)))).length).toBe(1);
  });

  it("does nothing for a reply that only mentions an opt-out word, or for a request that is not Twilio's", async () => {
    await makeDepartment(db());
    const number = `+861390013${String(crypto.randomInt(1000, 9999))}`;
    expect((await twilio({ MessageSid: "SMtalk", From: number, Body: "Please do not TD me, call me instead", SmsStatus: "received" })).status).toBe(200);
    expect(await optOuts(number)).toEqual([]);

    const forged = await twilio({ MessageSid: "SMforged", From: number, Body: "TD", SmsStatus: "received" }, signTwilio("another token", TWILIO_URL, { MessageSid: "SMforged", From: number, Body: "TD", SmsStatus: "received" }));
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    expect((await twilio({ MessageSid: "SMnosig", From: number, Body: "TD", SmsStatus: "received" }, null)).status).toBe(401);
    expect(await optOuts(number)).toEqual([]);
  });

  it("moves a delivery to delivered on the provider's receipt, once however often it is said", async () => {
    const setup = await makeSendingSetup(db(), { count: 3 });
    const providerId = `SM${crypto.randomBytes(16).toString("hex")}`;
    const { taskId, deliveryId } = await sentDelivery(setup, providerId);

    const receipt = { MessageSid: providerId, MessageStatus: "delivered", To: "+8613800138000" };
    expect((await twilio(receipt)).status).toBe(204);
    expect((await twilio(receipt)).status).toBe(204);
    const [delivery] = await db().select({ status: deliveries.status }).from(deliveries).where(eq(deliveries.id, deliveryId));
    expect(delivery!.status).toBe("delivered");
    const [task] = await db().select({ delivered: tasks.delivered, sent: tasks.sent }).from(tasks).where(eq(tasks.id, taskId));
    expect(task).toEqual({ delivered: 1, sent: 3 });
  });

  it("records a failed receipt as the message's failure without suppressing the contact's e-mail address", async () => {
    const setup = await makeSendingSetup(db(), { count: 2 });
    const providerId = `SM${crypto.randomBytes(16).toString("hex")}`;
    const { taskId, deliveryId } = await sentDelivery(setup, providerId);
    expect((await twilio({ MessageSid: providerId, MessageStatus: "undelivered", ErrorCode: "30003", ErrorMessage: "Unreachable destination handset" })).status).toBe(204);
    const [delivery] = await db().select({ status: deliveries.status, error: deliveries.error, email: deliveries.email }).from(deliveries).where(eq(deliveries.id, deliveryId));
    expect(delivery).toMatchObject({ status: "failed", error: "30003 Unreachable destination handset" });
    expect(await db().select().from(suppressions).where(and(eq(suppressions.departmentId, setup.departmentId), eq(suppressions.email, delivery!.email)))).toEqual([]);
    const [task] = await db().select({ failed: tasks.failed }).from(tasks).where(eq(tasks.id, taskId));
    expect(task!.failed).toBe(1);
  });

  it("answers Aliyun's push only on the secret path, and applies its replies and reports", async () => {
    process.env.FANOUT_SMS_PROVIDER = "aliyun";
    process.env.FANOUT_SMS_ALIYUN_ACCESS_KEY_ID = "LTAI-test";
    process.env.FANOUT_SMS_ALIYUN_ACCESS_KEY_SECRET = "secret";
    process.env.FANOUT_SMS_ALIYUN_SIGN_NAME = "阿里云短信测试";
    process.env.FANOUT_SMS_ALIYUN_PUSH_TOKEN = PUSH_TOKEN;
    try {
      const department = await makeDepartment(db());
      const number = `1370013${String(crypto.randomInt(1000, 9999))}`;
      const reply = [{ phone_number: number, content: "退订", send_time: "2026-12-07 10:00:00", dest_code: "1234", sequence_id: 1 }];

      const guessed = await aliyun("b".repeat(40), "reply", reply);
      expect(guessed.status).toBe(404);
      expect(await optOuts(`+86${number}`)).toEqual([]);

      const answer = await aliyun(PUSH_TOKEN, "reply", reply);
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ code: 0, msg: "成功" });
      expect(await optOuts(`+86${number}`)).toEqual(expect.arrayContaining([{ departmentId: department.id, channel: "sms", reason: "opted_out" }]));

      const setup = await makeSendingSetup(db(), { count: 2 });
      const bizId = `${crypto.randomInt(100000, 999999)}^0`;
      const { deliveryId } = await sentDelivery(setup, bizId);
      const report = [{ phone_number: "13800138000", success: true, biz_id: bizId, out_id: String(deliveryId), report_time: "2026-12-07 10:00:05", err_code: "DELIVERED", err_msg: "用户接收成功" }];
      expect((await aliyun(PUSH_TOKEN, "report", report)).status).toBe(200);
      const [delivery] = await db().select({ status: deliveries.status }).from(deliveries).where(eq(deliveries.id, deliveryId));
      expect(delivery!.status).toBe("delivered");

      expect((await aliyun(PUSH_TOKEN, "other", reply)).status).toBe(404);
    } finally {
      process.env.FANOUT_SMS_PROVIDER = ENV.FANOUT_SMS_PROVIDER;
      for (const name of ["FANOUT_SMS_ALIYUN_ACCESS_KEY_ID", "FANOUT_SMS_ALIYUN_ACCESS_KEY_SECRET", "FANOUT_SMS_ALIYUN_SIGN_NAME", "FANOUT_SMS_ALIYUN_PUSH_TOKEN"]) delete process.env[name];
    }
  });

  it("shakes hands with Meta, counts a WhatsApp read as a person's open, and opts a number out of WhatsApp only", async () => {
    const challenge = await whatsappGet(new Request(`http://fanout.test/api/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${WHATSAPP_VERIFY}&hub.challenge=1158201444`));
    expect(challenge.status).toBe(200);
    expect(await challenge.text()).toBe("1158201444");
    expect((await whatsappGet(new Request("http://fanout.test/api/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1"))).status).toBe(401);

    const setup = await makeSendingSetup(db(), { count: 2 });
    const wamid = `wamid.${crypto.randomBytes(12).toString("hex")}`;
    const { taskId, deliveryId } = await sentDelivery(setup, wamid);
    const now = Math.floor(Date.now() / 1000);
    const read = whatsappNotification({ statuses: [{ id: wamid, status: "read", timestamp: String(now), recipient_id: "8613800138000" }] });
    expect((await whatsapp(read, "not the app secret")).status).toBe(401);
    expect((await whatsapp(read)).status).toBe(200);
    const [delivery] = await db().select({ firstOpenAt: deliveries.firstOpenAt }).from(deliveries).where(eq(deliveries.id, deliveryId));
    expect(delivery!.firstOpenAt).not.toBeNull();
    const [task] = await db().select({ opened: tasks.opened }).from(tasks).where(eq(tasks.id, taskId));
    expect(task!.opened).toBe(1);

    const number = `+86135001${String(crypto.randomInt(10000, 99999))}`;
    const stop = whatsappNotification({ contacts: [{ wa_id: number.slice(1) }], messages: [{ from: number.slice(1), id: "wamid.in1", timestamp: String(now), type: "text", text: { body: "STOP" } }] });
    expect((await whatsapp(stop)).status).toBe(200);
    const entries = await optOuts(number);
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((entry) => entry.channel === "whatsapp" && entry.reason === "opted_out")).toBe(true);
  });
});
