/**
 * Twilio SMS against a fake Messages API over loopback: Basic auth, 201 with the sid, final 21211
 * and 21610, 429 with Retry-After, wrong credentials; and the webhooks Twilio posts back —
 * X-Twilio-Signature accepted as Twilio computes it, refused when a parameter, the URL or the
 * token differs — read into receipts and replies.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTwilioSmsTransport } from "@/lib/channels/sms-twilio";
import { parseTwilioInbound, parseTwilioStatus, twilioSignature, verifyTwilioWebhook } from "@/lib/channels/sms-twilio-webhooks";
import type { ChannelMessage } from "@/lib/channels/types";
import { CHANNEL_WEBHOOK_MAX_BYTES } from "@/lib/channels/webhook";
import { startWebhookSink } from "../helpers/fake-provider";
import { signTwilio, startFakeTwilio, type FakeTwilio } from "../helpers/fake-twilio";

const ACCOUNT = { accountSid: "AC0123456789abcdef0123456789abcdef", authToken: "twilio-auth-token-1" };
const sms = (id: string, to: string, text = "Your order has shipped"): ChannelMessage => ({ id, channel: "sms", to, text });

describe("Twilio SMS transport", () => {
  let twilio: FakeTwilio;
  const transport = (authToken = ACCOUNT.authToken) =>
    createTwilioSmsTransport({ accountSid: ACCOUNT.accountSid, authToken, from: "+15005550006", statusCallback: "https://fanout.example/api/webhooks/twilio/status", baseUrl: twilio.url });

  beforeAll(async () => {
    twilio = await startFakeTwilio(ACCOUNT);
  });
  afterAll(() => twilio.close());
  beforeEach(() => {
    twilio.sent.length = 0;
    Object.assign(twilio.options, { invalid: [], unsubscribed: [], rateLimitFirst: 0 });
  });

  it("posts To, From, Body and StatusCallback and answers with the message sid", async () => {
    const results = await transport().sendBatch([sms("d1", "+14155550100"), sms("d2", "+8613800138000", "订单已发货")]);
    const sidOf = (to: string) => twilio.sent.find((message) => message.to === to)!.sid;
    expect(results).toEqual([
      { id: "d1", ok: true, providerId: sidOf("+14155550100"), code: 201, reply: "queued" },
      { id: "d2", ok: true, providerId: sidOf("+8613800138000"), code: 201, reply: "queued" },
    ]);
    expect(twilio.sent.find((message) => message.to === "+8613800138000")).toMatchObject({ from: "+15005550006", body: "订单已发货", statusCallback: "https://fanout.example/api/webhooks/twilio/status" });
  });

  it("sends through a Messaging Service when one is configured", async () => {
    const viaService = createTwilioSmsTransport({ ...ACCOUNT, messagingServiceSid: "MG0123456789abcdef0123456789abcdef", baseUrl: twilio.url });
    expect((await viaService.sendBatch([sms("s", "+14155550101")]))[0]).toMatchObject({ ok: true });
    expect(twilio.sent[0]).toMatchObject({ messagingServiceSid: "MG0123456789abcdef0123456789abcdef", from: undefined });
  });

  it("fails an invalid number (21211) and an unsubscribed one (21610) finally, keeping Twilio's code", async () => {
    twilio.options.invalid = ["+15005550001"];
    twilio.options.unsubscribed = ["+14155550199"];
    const [invalid, unsubscribed] = await transport().sendBatch([sms("i", "+15005550001"), sms("u", "+14155550199")]);
    expect(invalid).toEqual({ id: "i", ok: false, retry: false, code: 400, reply: "Twilio does not accept this recipient: 400: 21211 The 'To' number +15005550001 is not a valid phone number." });
    expect(unsubscribed).toEqual({ id: "u", ok: false, retry: false, code: 400, reply: "Twilio answered 400: 21610 Attempt to send to unsubscribed recipient" });
    expect(twilio.sent).toEqual([]);
  });

  it("retries a 429 with the wait Retry-After asked for", async () => {
    twilio.options.rateLimitFirst = 1;
    twilio.options.retryAfter = "7";
    const [limited] = await transport().sendBatch([sms("r", "+14155550102")]);
    expect(limited).toEqual({ id: "r", ok: false, retry: true, code: 429, retryAfterMs: 7000, reply: "Twilio answered 429: 20429 Too Many Requests" });
    expect((await transport().sendBatch([sms("r", "+14155550102")]))[0]).toMatchObject({ ok: true });
  });

  it("fails a recipient that is not an E.164 number before any request", async () => {
    const before = twilio.calls.length;
    const [result] = await transport().sendBatch([sms("e", "zhangwei")]);
    expect(result).toEqual({ id: "e", ok: false, retry: false, reply: 'Twilio does not accept this recipient: "zhangwei" is not an E.164 number (+8613800138000)' });
    expect(twilio.calls.length).toBe(before);
  });

  it("fails a body the gateway refuses as too large (413) finally", async () => {
    const [result] = await transport().sendBatch([sms("big", "+14155550104", "x".repeat(70 * 1024))]);
    expect(result).toEqual({ id: "big", ok: false, retry: false, code: 413, reply: "Twilio answered 413: Request Entity Too Large" });
    expect(twilio.sent).toEqual([]);
  });

  it("refuses a wrong auth token finally (401, 20003)", async () => {
    const [refused] = await transport("wrong-token").sendBatch([sms("w", "+14155550103")]);
    expect(refused).toEqual({ id: "w", ok: false, retry: false, code: 401, reply: "Twilio refused the credentials: 401: 20003 Authenticate" });
    expect(twilio.sent).toEqual([]);
  });
});

describe("Twilio webhooks", () => {
  let twilio: FakeTwilio;
  let sink: Awaited<ReturnType<typeof startWebhookSink>>;
  const verify = (index: number, overrides: { url?: string; authToken?: string } = {}) => {
    const received = sink.received[index]!;
    return verifyTwilioWebhook(received.body, { url: overrides.url ?? `${sink.url}${received.path}`, signature: received.headers["x-twilio-signature"] ?? null, authToken: overrides.authToken ?? ACCOUNT.authToken });
  };

  beforeAll(async () => {
    twilio = await startFakeTwilio(ACCOUNT);
    sink = await startWebhookSink({ status: 204, body: "" });
  });
  afterAll(() => Promise.all([twilio.close(), sink.close()]));
  beforeEach(() => {
    sink.received.length = 0;
  });

  it("accepts a status callback signed as Twilio signs it and reads the receipt", async () => {
    const message = { sid: "SM11111111111111111111111111111111", to: "+14155550100", from: "+15005550006", body: "x" };
    await twilio.sendStatus(`${sink.url}/status?tenant=a`, message, "delivered");
    await twilio.sendStatus(`${sink.url}/status?tenant=a`, message, "undelivered", "30003");
    await twilio.sendStatus(`${sink.url}/status?tenant=a`, message, "sending");
    const at = new Date("2026-12-07T08:00:00Z");
    const receipts = [0, 1, 2].map((index) => {
      const params = verify(index, { url: `${sink.url}/status?tenant=a` });
      expect(params, `callback ${index}`).not.toBeNull();
      return parseTwilioStatus(params!, at);
    });
    expect(receipts).toEqual([
      { providerId: message.sid, status: "delivered", at },
      { providerId: message.sid, status: "failed", at, reason: "30003" },
      null,
    ]);
  });

  it("reads an inbound SMS as a reply", async () => {
    await twilio.sendInbound(`${sink.url}/inbound`, "+14155550100", "STOP");
    const params = verify(0);
    expect(parseTwilioInbound(params!, new Date(0))).toEqual({ channel: "sms", from: "+14155550100", text: "STOP", at: new Date(0), providerId: params!.get("MessageSid") });
  });

  it("refuses a tampered parameter, another URL, the wrong token and a missing signature", async () => {
    await twilio.sendInbound(`${sink.url}/inbound`, "+14155550100", "hello");
    const received = sink.received[0]!;
    const url = `${sink.url}/inbound`;
    const signature = received.headers["x-twilio-signature"]!;
    expect(verifyTwilioWebhook(received.body, { url, signature, authToken: ACCOUNT.authToken })).not.toBeNull();
    const tampered = received.body.toString("utf8").replace("Body=hello", "Body=STOP");
    expect(tampered).not.toBe(received.body.toString("utf8"));
    expect(verifyTwilioWebhook(tampered, { url, signature, authToken: ACCOUNT.authToken })).toBeNull();
    expect(verifyTwilioWebhook(received.body, { url: `${url}?x=1`, signature, authToken: ACCOUNT.authToken })).toBeNull();
    expect(verifyTwilioWebhook(received.body, { url, signature, authToken: "another-token" })).toBeNull();
    expect(verifyTwilioWebhook(received.body, { url, signature: null, authToken: ACCOUNT.authToken })).toBeNull();
    // A signature made with the wrong token by someone who knows the URL.
    await twilio.postSigned(url, { From: "+14155550100", Body: "STOP" }, "guessed-token");
    expect(verify(1)).toBeNull();
  });

  it("agrees with Twilio's documented example signature", () => {
    // The worked example of Twilio's webhook security page: token 12345, this URL and these parameters.
    const params = { CallSid: "CA1234567890ABCDE", Caller: "+14158675310", Digits: "1234", From: "+14158675310", To: "+18005551212" };
    const url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    expect(signTwilio("12345", url, params)).toBe("GvWf1cFY/Q7PnoempGyD5oXAezc=");
    expect(twilioSignature("12345", url, new URLSearchParams(params))).toBe("GvWf1cFY/Q7PnoempGyD5oXAezc=");
    expect(verifyTwilioWebhook(new URLSearchParams(params).toString(), { url, signature: "GvWf1cFY/Q7PnoempGyD5oXAezc=", authToken: "12345" })).not.toBeNull();
  });

  it("refuses a body over the limit before reading it", () => {
    const huge = `Body=${"a".repeat(CHANNEL_WEBHOOK_MAX_BYTES)}`;
    expect(() => verifyTwilioWebhook(huge, { url: "https://x", signature: "x", authToken: "t" })).toThrow(expect.objectContaining({ code: "payload_too_large" }));
  });
});
