import { afterAll, afterEach, beforeAll, vi } from "vitest";
import type { Database } from "@/db/client";
import { POST as twilioWebhook } from "@/app/api/webhooks/sms/twilio/route";
import type { ContactChannel } from "@/db/schema";
import { addContacts } from "@/lib/pools/contacts";
import type { TaskInput } from "@/lib/sending/tasks";
import { createTemplate } from "@/lib/templates/store";
import { makeSendingSetup, type SendingSetup } from "./sending";
import { unique } from "./factories";
import { signTwilio, startFakeTwilio, type FakeTwilio } from "./fake-twilio";
import { startSmtpSink, type SmtpSink } from "./smtp-sink";

/** The fake Twilio's account, and the environment that points the server's SMS channel at it. */
export const TWILIO_ACCOUNT = { accountSid: "AC0123456789abcdef0123456789abcdef", authToken: "sms-task-auth-token" };
export function twilioEnv(baseUrl: string): Record<string, string> {
  return {
    FANOUT_SMS_PROVIDER: "twilio",
    FANOUT_SMS_TWILIO_ACCOUNT_SID: TWILIO_ACCOUNT.accountSid,
    FANOUT_SMS_TWILIO_AUTH_TOKEN: TWILIO_ACCOUNT.authToken,
    FANOUT_SMS_TWILIO_FROM: "+15005550006",
    FANOUT_SMS_TWILIO_BASE_URL: baseUrl,
  };
}

/**
 * 61 Chinese characters: after a four-character name and the 6 of "拒收请回复R" the text is 71
 * characters, one more than a single UCS-2 part holds, so each message is 2 segments.
 */
export const SMS_BODY = "您好，感谢您一直以来对我们的支持。本周末全场商品八折优惠，会员另享积分翻倍，详情请登录官方网站或到店咨询门店的工作人员们。";
export const SMS_TEMPLATE_TEXT = `{{ name }}${SMS_BODY}`;

/** The i-th contact's number (Chinese mobiles) and name (four characters). */
export const smsPhone = (index: number) => `+86139${String(index).padStart(8, "0")}`;

export type SmsSetup = SendingSetup & { smsTemplateId: string; phones: string[]; names: Map<string, string> };

/**
 * A department (with the mail setup of makeSendingSetup) whose pool holds `count` contacts with
 * a Chinese mobile and SMS consent, each named with four characters, and an SMS template.
 */
export async function makeSmsSetup(db: Database, options: { count: number; quota?: number | null; extra?: { email: string; phone?: string; channelConsent?: ContactChannel[] }[] }): Promise<SmsSetup> {
  const setup = await makeSendingSetup(db, { emails: [], quota: options.quota ?? null });
  const tag = unique("s");
  const phones = Array.from({ length: options.count }, (_, index) => smsPhone(index));
  const names = new Map(phones.map((phone, index) => [phone, nameOf(index)] as const));
  const emails = phones.map((_, index) => `sms-${index}.${tag}@example.net`);
  for (let start = 0; start < phones.length; start += 5000) {
    await addContacts(
      setup.ctx,
      setup.poolId,
      phones.slice(start, start + 5000).map((phone, offset) => ({ email: emails[start + offset]!, name: names.get(phone)!, phone, channelConsent: ["sms"] })),
    );
  }
  if (options.extra?.length) await addContacts(setup.ctx, setup.poolId, options.extra);
  const template = await createTemplate(setup.ctx, { name: unique("sms-template"), departmentId: setup.departmentId, channel: "sms", subject: "", html: "", text: SMS_TEMPLATE_TEXT });
  return { ...setup, emails, smsTemplateId: template.id, phones, names };
}

/** Four Chinese characters per contact, different for each of up to 10,000 (two of them digits' names). */
const DIGITS = "零一二三四五六七八九";
function nameOf(index: number): string {
  const digits = String(index).padStart(4, "0");
  return Array.from(digits, (digit) => DIGITS[Number(digit)]).join("");
}

/** An SMS task for the setup's whole pool, sent now. */
export function smsTaskInput(setup: SmsSetup, overrides: Partial<TaskInput> = {}): TaskInput {
  return { name: unique("sms-task"), channel: "sms", templateId: setup.smsTemplateId, poolIds: [setup.poolId], departmentId: setup.departmentId, ...overrides };
}

/** What the contact with this number is sent: its name, the body and the Chinese opt-out sentence. */
export function expectedSms(setup: SmsSetup, phone: string): string {
  return `${setup.names.get(phone)}${SMS_BODY}拒收请回复R`;
}

/**
 * A fake Twilio and an SMTP sink for the file's tests, started once and closed at its end; the
 * environment stubs of each test are undone after it.
 */
export function useSmsProviders(): { twilio: () => FakeTwilio; sink: () => SmtpSink } {
  let twilio: FakeTwilio | undefined;
  let sink: SmtpSink | undefined;
  beforeAll(async () => {
    twilio = await startFakeTwilio(TWILIO_ACCOUNT);
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await twilio?.close();
    await sink?.close();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  return { twilio: () => twilio!, sink: () => sink! };
}

/** A message from `from` reaching the company's number, posted to the Twilio webhook as Twilio signs it; resolves with the webhook's answer. */
export async function postTwilioReply(from: string, body: string, messageSid = `SM${unique("reply").replace(/[^a-z0-9]/g, "")}`): Promise<Response> {
  const url = "http://fanout.test/api/webhooks/sms/twilio";
  const params = { MessageSid: messageSid, From: from, To: "+15005550006", Body: body, SmsStatus: "received" };
  return twilioWebhook(
    new Request(url, {
      method: "POST",
      body: new URLSearchParams(params).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signTwilio(TWILIO_ACCOUNT.authToken, url, params) },
    }),
  );
}
