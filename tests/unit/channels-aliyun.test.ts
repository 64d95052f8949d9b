/**
 * Aliyun SMS: the RPC signature against Aliyun's own documented example, then the transport against
 * a fake Dysmsapi over loopback HTTP that recomputes every signature — answers, final errors,
 * flow control, wrong credentials — and the SmsReport / SmsUp push parsers.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { aliyunPercentEncode, aliyunSignature, aliyunStringToSign } from "@/lib/channels/aliyun-signature";
import { createAliyunSmsTransport } from "@/lib/channels/sms-aliyun";
import { ALIYUN_PUSH_ACK, parseAliyunReplies, parseAliyunReports } from "@/lib/channels/sms-aliyun-push";
import type { ChannelMessage } from "@/lib/channels/types";
import { CHANNEL_WEBHOOK_MAX_BYTES } from "@/lib/channels/webhook";
import { startFakeAliyunSms, type FakeAliyunSms } from "../helpers/fake-aliyun-sms";
import { freePort } from "../helpers/server";
import { startWebhookSink } from "../helpers/fake-provider";

describe("Aliyun RPC signature", () => {
  // The example in Aliyun's "HTTP协议及签名" page for Dysmsapi SendSms (AccessKey testId / testSecret).
  const documented = {
    AccessKeyId: "testId",
    Action: "SendSms",
    Format: "XML",
    OutId: "123",
    PhoneNumbers: "15300000001",
    RegionId: "cn-hangzhou",
    SignName: "阿里云短信测试专用",
    SignatureMethod: "HMAC-SHA1",
    SignatureNonce: "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    SignatureVersion: "1.0",
    TemplateCode: "SMS_71390007",
    TemplateParam: '{"customer":"test"}',
    Timestamp: "2017-07-12T02:42:19Z",
    Version: "2017-05-25",
  };

  it("equals the value in Aliyun's documentation", () => {
    expect(aliyunSignature("GET", documented, "testSecret")).toBe("zJDF+Lrzhj/ThnlvIToysFRq6t4=");
  });

  it("builds the documented string to sign", () => {
    expect(aliyunStringToSign("GET", documented)).toBe(
      "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou" +
        "%26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8" +
        "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007" +
        "%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25",
    );
  });

  it("percent-encodes as Aliyun documents: space %20, * %2A, ~ kept", () => {
    expect(aliyunPercentEncode("a b*c~d+e!'()")).toBe("a%20b%2Ac~d%2Be%21%27%28%29");
    expect(aliyunPercentEncode("-_.")).toBe("-_.");
  });
});

describe("Aliyun SMS transport", () => {
  let aliyun: FakeAliyunSms;
  const credentials = { accessKeyId: "LTAI5tTestKey", accessKeySecret: "s3cret/with+chars=" };
  const transport = () => createAliyunSmsTransport({ ...credentials, signName: "扇出科技", templateCode: "SMS_100001", baseUrl: aliyun.url });
  const sms = (id: string, to: string, text = "您的订单已发货"): ChannelMessage => ({ id, channel: "sms", to, text });

  beforeAll(async () => {
    aliyun = await startFakeAliyunSms(credentials);
  });
  afterAll(() => aliyun.close());
  beforeEach(() => {
    aliyun.sent.length = 0;
    aliyun.calls.length = 0;
    aliyun.options.failures = {};
    aliyun.options.throttleFirst = 0;
  });

  it("sends each message through the template, signed, and answers with the BizId", async () => {
    const results = await transport().sendBatch([sms("d1", "+8613800138000"), sms("d2", "+85251234567", "Hello")]);
    expect(results).toEqual([
      { id: "d1", ok: true, providerId: aliyun.sent.find((s) => s.outId === "d1")!.bizId, code: 200, reply: "OK" },
      { id: "d2", ok: true, providerId: aliyun.sent.find((s) => s.outId === "d2")!.bizId, code: 200, reply: "OK" },
    ]);
    expect(aliyun.sent.map(({ phoneNumbers, signName, templateCode, templateParam }) => ({ phoneNumbers, signName, templateCode, templateParam })).sort((a, b) => a.phoneNumbers.localeCompare(b.phoneNumbers))).toEqual([
      { phoneNumbers: "13800138000", signName: "扇出科技", templateCode: "SMS_100001", templateParam: { content: "您的订单已发货" } },
      { phoneNumbers: "85251234567", signName: "扇出科技", templateCode: "SMS_100001", templateParam: { content: "Hello" } },
    ]);
  });

  it("sends a message's own template with its named parameters", async () => {
    const message: ChannelMessage = { id: "d3", channel: "sms", to: "+8613800138001", template: { name: "SMS_200002", language: "zh_CN", variables: [], params: { name: "张伟", code: "8812" } } };
    expect((await transport().sendBatch([message]))[0]).toMatchObject({ ok: true });
    expect(aliyun.sent[0]).toMatchObject({ templateCode: "SMS_200002", templateParam: { name: "张伟", code: "8812" } });
  });

  it("fails an illegal number and a spent balance finally, with Aliyun's words", async () => {
    aliyun.options.failures["13800000000"] = { Code: "isv.MOBILE_NUMBER_ILLEGAL", Message: "非法手机号" };
    aliyun.options.failures["13900000000"] = { Code: "isv.AMOUNT_NOT_ENOUGH", Message: "账户余额不足" };
    const [illegal, broke, fine] = await transport().sendBatch([sms("a", "+8613800000000"), sms("b", "+8613900000000"), sms("c", "+8613700000000")]);
    expect(illegal).toMatchObject({ ok: false, retry: false, reply: "Aliyun SMS does not accept this recipient: isv.MOBILE_NUMBER_ILLEGAL: 非法手机号" });
    expect(broke).toMatchObject({ ok: false, retry: false });
    expect(broke!.ok === false && broke!.reply).toMatch(/balance is too low.*isv\.AMOUNT_NOT_ENOUGH: 账户余额不足/);
    expect(fine).toMatchObject({ ok: true });
  });

  it("retries flow control, and asks for a minute's wait when one number is over its limit", async () => {
    aliyun.options.throttleFirst = 1;
    aliyun.options.failures["13600000000"] = { Code: "isv.BUSINESS_LIMIT_CONTROL", Message: "触发分钟级流控Permits:1" };
    const [throttled] = await transport().sendBatch([sms("t", "+8613500000000")]);
    expect(throttled).toMatchObject({ ok: false, retry: true });
    expect(throttled!.ok === false && throttled!.reply).toContain("Throttling.User");
    const [limited] = await transport().sendBatch([sms("l", "+8613600000000")]);
    expect(limited).toMatchObject({ ok: false, retry: true, retryAfterMs: 60_000 });
    expect(aliyun.sent).toEqual([]);
  });

  it("refuses wrong credentials finally: a wrong secret fails the signature, an unknown key is not found", async () => {
    const wrongSecret = createAliyunSmsTransport({ ...credentials, accessKeySecret: "wrong", signName: "扇出科技", templateCode: "SMS_100001", baseUrl: aliyun.url });
    const [badSignature] = await wrongSecret.sendBatch([sms("w", "+8613800138000")]);
    expect(badSignature).toMatchObject({ ok: false, retry: false, code: 400 });
    expect(badSignature!.ok === false && badSignature!.reply).toMatch(/^Aliyun SMS refused the credentials: SignatureDoesNotMatch/);
    const unknownKey = createAliyunSmsTransport({ ...credentials, accessKeyId: "LTAInobody", signName: "扇出科技", templateCode: "SMS_100001", baseUrl: aliyun.url });
    expect((await unknownKey.sendBatch([sms("u", "+8613800138000")]))[0]).toMatchObject({ ok: false, retry: false, code: 404 });
    expect(aliyun.sent).toEqual([]);
  });

  it("fails a text without a template code before any request", async () => {
    const noTemplate = createAliyunSmsTransport({ ...credentials, signName: "扇出科技", baseUrl: aliyun.url });
    const [result] = await noTemplate.sendBatch([sms("n", "+8613800138000")]);
    expect(result).toMatchObject({ ok: false, retry: false });
    expect(aliyun.calls).toEqual([]);
  });

  it("retries when the gateway cannot be reached, and keeps secrets out of its target", async () => {
    const nowhere = createAliyunSmsTransport({ ...credentials, signName: "扇出科技", templateCode: "SMS_1", baseUrl: `http://127.0.0.1:${await freePort()}` });
    const [result] = await nowhere.sendBatch([sms("x", "+8613800138000")]);
    expect(result).toMatchObject({ ok: false, retry: true });
    expect(result!.ok === false && result!.reply).toMatch(/^Aliyun SMS could not be reached: .*ECONNREFUSED/);
    expect(nowhere.target).not.toContain(credentials.accessKeySecret);
  });
});

describe("Aliyun SmsReport and SmsUp pushes", () => {
  it("reads receipts and replies as Aliyun pushes them", async () => {
    const aliyun = await startFakeAliyunSms({ accessKeyId: "k", accessKeySecret: "s" });
    const sink = await startWebhookSink({ status: 200, body: ALIYUN_PUSH_ACK });
    try {
      const ack = await aliyun.pushReports(sink.url, [
        { phone_number: "13800138000", send_time: "2026-12-07 10:00:00", report_time: "2026-12-07 10:00:05", success: true, err_code: "DELIVERED", err_msg: "用户接收成功", sms_size: "1", biz_id: "900619746936^0", out_id: "d1" },
        { phone_number: "13800138001", send_time: "2026-12-07 10:00:00", report_time: "2026-12-07 10:01:00", success: false, err_code: "MK:0001", err_msg: "空号", sms_size: "1", biz_id: "900619746937^0", out_id: "d2" },
      ]);
      expect(ack).toEqual({ status: 200, body: JSON.stringify({ code: 0, msg: "成功" }) });
      await aliyun.pushReplies(sink.url, [{ phone_number: "13800138000", send_time: "2026-12-07 10:05:00", content: "TD", sign_name: "扇出科技", dest_code: "1234", sequence_id: 1234567890 }]);
      expect(parseAliyunReports(sink.received[0]!.body)).toEqual([
        { providerId: "900619746936^0", status: "delivered", at: new Date("2026-12-07T02:00:05Z") },
        { providerId: "900619746937^0", status: "failed", at: new Date("2026-12-07T02:01:00Z"), reason: "MK:0001 空号" },
      ]);
      expect(parseAliyunReplies(sink.received[1]!.body)).toEqual([{ channel: "sms", from: "+8613800138000", text: "TD", at: new Date("2026-12-07T02:05:00Z"), providerId: "1234567890" }]);
    } finally {
      await Promise.all([aliyun.close(), sink.close()]);
    }
  });

  it("refuses a body over the limit, a body that is not JSON, and an entry without its id, saying where", () => {
    const huge = `[${'{"biz_id":"1"},'.repeat(CHANNEL_WEBHOOK_MAX_BYTES / 10)}{}]`;
    expect(() => parseAliyunReports(huge)).toThrow(expect.objectContaining({ code: "payload_too_large", status: 413 }));
    expect(() => parseAliyunReports("<xml/>")).toThrow(expect.objectContaining({ code: "invalid_input", reason: "bodyNotJson" }));
    const missing = () => parseAliyunReports(JSON.stringify([{ success: true, report_time: "2026-12-07 10:00:05" }]));
    expect(missing).toThrow(AppError);
    expect(missing).toThrow("[0].biz_id: is required");
    expect(() => parseAliyunReports(JSON.stringify([{ biz_id: "1", success: true, report_time: "yesterday" }]))).toThrow("[0].report_time: is required");
  });
});
