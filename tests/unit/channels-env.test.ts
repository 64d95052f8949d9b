/**
 * Choosing a channel's provider from environment variables: each half-configured channel is an
 * error naming the variable, an unset channel is "not configured" with the variable to set, and a
 * transport built from the environment (base URL overridden) really sends through its fake.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChannelNotConfiguredError, configuredChannels, createChannelTransport, readChannelSettings } from "@/lib/channels";
import { startFakeAliyunSms, type FakeAliyunSms } from "../helpers/fake-aliyun-sms";
import { startFakeTwilio, type FakeTwilio } from "../helpers/fake-twilio";

const ALIYUN = {
  FANOUT_SMS_PROVIDER: "aliyun",
  FANOUT_SMS_ALIYUN_ACCESS_KEY_ID: "LTAIkey",
  FANOUT_SMS_ALIYUN_ACCESS_KEY_SECRET: "aliyun-secret",
  FANOUT_SMS_ALIYUN_SIGN_NAME: "扇出科技",
  FANOUT_SMS_ALIYUN_TEMPLATE_CODE: "SMS_100001",
};

describe("readChannelSettings", () => {
  it("configures nothing from an empty environment", () => {
    const settings = readChannelSettings({});
    expect(configuredChannels(settings)).toEqual([]);
    expect(() => createChannelTransport("sms", settings)).toThrow(new ChannelNotConfiguredError("sms"));
    expect(() => createChannelTransport("wecom", settings)).toThrow("The wecom channel is not configured: set FANOUT_WECOM_CORP_ID, FANOUT_WECOM_SECRET and FANOUT_WECOM_AGENT_ID");
  });

  it.each([
    [{ FANOUT_SMS_PROVIDER: "yunpian" }, 'FANOUT_SMS_PROVIDER must be "aliyun" or "twilio" (got "yunpian")'],
    [{ ...ALIYUN, FANOUT_SMS_ALIYUN_SIGN_NAME: " " }, 'FANOUT_SMS_ALIYUN_SIGN_NAME is required when FANOUT_SMS_PROVIDER is "aliyun"'],
    [{ ...ALIYUN, FANOUT_SMS_ALIYUN_BASE_URL: "ftp://x" }, 'FANOUT_SMS_ALIYUN_BASE_URL "ftp://x" is not an http:// or https:// URL'],
    [{ FANOUT_SMS_PROVIDER: "twilio", FANOUT_SMS_TWILIO_ACCOUNT_SID: "AC1", FANOUT_SMS_TWILIO_AUTH_TOKEN: "t" }, "FANOUT_SMS_TWILIO_FROM or FANOUT_SMS_TWILIO_MESSAGING_SERVICE_SID is required"],
    [{ FANOUT_WHATSAPP_TOKEN: "EAAG" }, "FANOUT_WHATSAPP_PHONE_NUMBER_ID is required"],
    [{ FANOUT_WHATSAPP_TOKEN: "EAAG", FANOUT_WHATSAPP_PHONE_NUMBER_ID: "1", FANOUT_WHATSAPP_API_VERSION: "21" }, 'FANOUT_WHATSAPP_API_VERSION must look like "v21.0" (got "21")'],
    [{ FANOUT_WECOM_CORP_ID: "ww1", FANOUT_WECOM_SECRET: "s", FANOUT_WECOM_AGENT_ID: "agent" }, 'FANOUT_WECOM_AGENT_ID must be the application\'s numeric AgentId (got "agent")'],
    [{ FANOUT_WECOM_CORP_ID: "ww1", FANOUT_WECOM_AGENT_ID: "1000002" }, "FANOUT_WECOM_SECRET is required"],
  ])("refuses %j, naming the variable", (env, message) => {
    expect(() => readChannelSettings(env)).toThrow(message);
  });

  it("reads every channel when all are set", () => {
    const settings = readChannelSettings({
      ...ALIYUN,
      FANOUT_WHATSAPP_TOKEN: "EAAG",
      FANOUT_WHATSAPP_PHONE_NUMBER_ID: "1065",
      FANOUT_WHATSAPP_APP_SECRET: "app",
      FANOUT_WECOM_CORP_ID: "ww1",
      FANOUT_WECOM_SECRET: "s",
      FANOUT_WECOM_AGENT_ID: "1000002",
    });
    expect(configuredChannels(settings)).toEqual(["sms", "whatsapp", "wecom"]);
    expect(settings.wecom).toMatchObject({ agentId: 1000002 });
    expect(createChannelTransport("whatsapp", settings)).toMatchObject({ channel: "whatsapp", name: "whatsapp", target: "https://graph.facebook.com (phone number 1065)" });
  });
});

describe("createChannelTransport from the environment", () => {
  let aliyun: FakeAliyunSms;
  let twilio: FakeTwilio;
  beforeAll(async () => {
    aliyun = await startFakeAliyunSms({ accessKeyId: "LTAIkey", accessKeySecret: "aliyun-secret" });
    twilio = await startFakeTwilio({ accountSid: "AC42", authToken: "tw-token" });
  });
  afterAll(() => Promise.all([aliyun.close(), twilio.close()]));

  it("sends SMS through the provider FANOUT_SMS_PROVIDER names, at its _BASE_URL", async () => {
    const viaAliyun = createChannelTransport("sms", { env: { ...ALIYUN, FANOUT_SMS_ALIYUN_BASE_URL: aliyun.url } });
    expect(viaAliyun).toMatchObject({ channel: "sms", name: "aliyun" });
    expect(viaAliyun.target).not.toContain("aliyun-secret");
    expect((await viaAliyun.sendBatch([{ id: "a", channel: "sms", to: "+8613800138000", text: "hi" }]))[0]).toMatchObject({ ok: true });
    expect(aliyun.sent).toHaveLength(1);

    const env = { FANOUT_SMS_PROVIDER: "twilio", FANOUT_SMS_TWILIO_ACCOUNT_SID: "AC42", FANOUT_SMS_TWILIO_AUTH_TOKEN: "tw-token", FANOUT_SMS_TWILIO_FROM: "+15005550006", FANOUT_SMS_TWILIO_BASE_URL: twilio.url };
    const viaTwilio = createChannelTransport("sms", { env });
    expect(viaTwilio.name).toBe("twilio");
    expect(viaTwilio.target).not.toContain("tw-token");
    expect((await viaTwilio.sendBatch([{ id: "b", channel: "sms", to: "+14155550100", text: "hi" }]))[0]).toMatchObject({ ok: true });
    expect(twilio.sent).toHaveLength(1);
  });
});
