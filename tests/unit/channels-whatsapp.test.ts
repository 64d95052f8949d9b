/**
 * WhatsApp Business Cloud API against a fake Graph endpoint over loopback: templates with their
 * variables in order, free text only inside the 24-hour window (refused before any request
 * outside it), Meta's error codes mapped to final or retried, a refused token; and the webhooks:
 * X-Hub-Signature-256 over the raw body, the subscription handshake, statuses and messages.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ChannelMessage } from "@/lib/channels/types";
import { CHANNEL_WEBHOOK_MAX_BYTES } from "@/lib/channels/webhook";
import { createWhatsAppTransport } from "@/lib/channels/whatsapp";
import { parseWhatsAppWebhook, verifyWhatsAppSignature, whatsappChallenge } from "@/lib/channels/whatsapp-webhooks";
import { startWebhookSink } from "../helpers/fake-provider";
import { startFakeWhatsApp, type FakeWhatsApp } from "../helpers/fake-whatsapp";

const SETTINGS = { token: "EAAG-test-token", phoneNumberId: "106540352242922", appSecret: "app-secret-1" };
const template = (id: string, to: string, variables: string[]): ChannelMessage => ({ id, channel: "whatsapp", to, template: { name: "order_shipped", language: "zh_CN", variables } });

describe("WhatsApp transport", () => {
  let meta: FakeWhatsApp;
  const transport = (token = SETTINGS.token) => createWhatsAppTransport({ token, phoneNumberId: SETTINGS.phoneNumberId, baseUrl: meta.url });

  beforeAll(async () => {
    meta = await startFakeWhatsApp(SETTINGS);
  });
  afterAll(() => meta.close());
  beforeEach(() => {
    meta.sent.length = 0;
    meta.calls.length = 0;
    meta.options.errors = {};
    meta.options.rateLimitFirst = 0;
  });

  it("sends a template with two variables, the values in order, and answers with the wamid", async () => {
    const [result] = await transport().sendBatch([template("d1", "+8613800138000", ["张伟", "SF1234567"])]);
    expect(meta.sent).toHaveLength(1);
    expect(result).toEqual({ id: "d1", ok: true, providerId: meta.sent[0]!.id, code: 200, reply: "accepted" });
    expect(meta.sent[0]!.payload).toEqual({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: "8613800138000",
      type: "template",
      template: { name: "order_shipped", language: { code: "zh_CN" }, components: [{ type: "body", parameters: [{ type: "text", text: "张伟" }, { type: "text", text: "SF1234567" }] }] },
    });
    expect(meta.calls[0]!.path).toBe(`/v21.0/${SETTINGS.phoneNumberId}/messages`);
  });

  it("refuses free text outside the 24-hour window without making a request, and sends it inside", async () => {
    const text: ChannelMessage = { id: "t1", channel: "whatsapp", to: "+14155550100", text: "Are you still interested?" };
    const [refused] = await transport().sendBatch([text]);
    expect(refused).toEqual({ id: "t1", ok: false, retry: false, reply: "Outside the 24-hour window a WhatsApp message must use an approved template" });
    expect(meta.calls).toEqual([]);
    const [sent] = await transport().sendBatch([{ ...text, sessionOpen: true }]);
    expect(sent).toMatchObject({ ok: true });
    expect(meta.sent[0]!.payload).toMatchObject({ type: "text", text: { body: "Are you still interested?" } });
  });

  it("maps Meta's codes: undeliverable and re-engagement are final, throughput and pair rate are retried", async () => {
    meta.options.errors = {
      "14155550101": { code: 131026, message: "Message undeliverable", details: "Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number." },
      "14155550102": { code: 131047, message: "Re-engagement message", details: "More than 24 hours have passed since the recipient last replied to the sender number." },
      "14155550103": { code: 131056, message: "(Business Account, Consumer Account) pair rate limit hit", details: "Too many messages sent from the sender phone number to the same recipient phone number in a short period of time." },
    };
    const [undeliverable, reEngagement, pairRate] = await transport().sendBatch([template("a", "+14155550101", []), template("b", "+14155550102", []), template("c", "+14155550103", [])]);
    expect(undeliverable).toMatchObject({ ok: false, retry: false, code: 400 });
    expect(undeliverable!.ok === false && undeliverable!.reply).toMatch(/^WhatsApp answered 400: 131026 Message undeliverable \(Unable to deliver/);
    expect(reEngagement).toMatchObject({ ok: false, retry: false });
    expect(reEngagement!.ok === false && reEngagement!.reply).toContain("131047");
    expect(pairRate).toMatchObject({ ok: false, retry: true });
    meta.options.rateLimitFirst = 1;
    const [throughput] = await transport().sendBatch([template("d", "+14155550104", [])]);
    // Meta sends no Retry-After with 130429: the engine's back-off decides the wait.
    expect(throughput).toEqual({ id: "d", ok: false, retry: true, code: 400, reply: "WhatsApp answered 400: 130429 Rate limit hit (Cloud API message throughput has been reached.)" });
    expect(meta.sent).toEqual([]);
  });

  it("says clearly that an expired or wrong token must be renewed, and does not retry it", async () => {
    const [refused] = await transport("EAAG-expired").sendBatch([template("e", "+14155550105", ["x"])]);
    expect(refused).toMatchObject({ ok: false, retry: false, code: 401 });
    expect(refused!.ok === false && refused!.reply).toMatch(/^WhatsApp refused the access token \(expired or revoked\): renew FANOUT_WHATSAPP_TOKEN\. 190 Error validating access token/);
  });
});

describe("WhatsApp webhooks", () => {
  let meta: FakeWhatsApp;
  let sink: Awaited<ReturnType<typeof startWebhookSink>>;
  beforeAll(async () => {
    meta = await startFakeWhatsApp(SETTINGS);
    sink = await startWebhookSink({ status: 200, body: "" });
  });
  afterAll(() => Promise.all([meta.close(), sink.close()]));
  beforeEach(() => {
    sink.received.length = 0;
  });

  const signatureOf = (index: number) => sink.received[index]!.headers["x-hub-signature-256"] ?? null;

  it("accepts Meta's signature over the raw body and refuses a tampered body, another secret or none", async () => {
    await meta.sendText(sink.url, "8613800138000", "你好 ünïcode", new Date("2026-12-07T08:00:00Z"));
    const { body } = sink.received[0]!;
    expect(verifyWhatsAppSignature(body, signatureOf(0), SETTINGS.appSecret)).toBe(true);
    const tampered = Buffer.from(body.toString("utf8").replace("你好", "退订"));
    expect(verifyWhatsAppSignature(tampered, signatureOf(0), SETTINGS.appSecret)).toBe(false);
    expect(verifyWhatsAppSignature(body, signatureOf(0), "another-secret")).toBe(false);
    expect(verifyWhatsAppSignature(body, null, SETTINGS.appSecret)).toBe(false);
    expect(verifyWhatsAppSignature(body, "sha1=abc", SETTINGS.appSecret)).toBe(false);
    await meta.postSigned(sink.url, meta.notification({}), "forged-secret");
    expect(verifyWhatsAppSignature(sink.received[1]!.body, signatureOf(1), SETTINGS.appSecret)).toBe(false);
  });

  it("answers the subscription handshake only with our verify token", () => {
    const query = (token: string, mode = "subscribe") => new URLSearchParams({ "hub.mode": mode, "hub.verify_token": token, "hub.challenge": "1158201444" });
    expect(whatsappChallenge(query("our-verify-token"), "our-verify-token")).toBe("1158201444");
    expect(whatsappChallenge(query("guess"), "our-verify-token")).toBeNull();
    expect(whatsappChallenge(query("our-verify-token", "unsubscribe"), "our-verify-token")).toBeNull();
    expect(whatsappChallenge(new URLSearchParams({ "hub.mode": "subscribe", "hub.verify_token": "our-verify-token" }), "our-verify-token")).toBeNull();
  });

  it("reads sent, delivered, read and failed statuses as receipts, and a text as a reply", async () => {
    const message = { id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA", to: "8613800138000", type: "template", payload: {} };
    const at = new Date("2026-12-07T08:00:00Z");
    for (const status of ["sent", "delivered", "read"]) await meta.sendStatus(sink.url, message, status, at);
    await meta.sendStatus(sink.url, message, "failed", at, { code: 131026, title: "Message undeliverable", message: "Message undeliverable", details: "Recipient is not on WhatsApp" });
    await meta.sendText(sink.url, "8613800138000", "STOP", at);
    const parsed = sink.received.map(({ body }) => parseWhatsAppWebhook(body));
    expect(parsed.flatMap((one) => one.receipts)).toEqual([
      { providerId: message.id, status: "sent", at },
      { providerId: message.id, status: "delivered", at },
      { providerId: message.id, status: "read", at },
      { providerId: message.id, status: "failed", at, reason: "131026 Message undeliverable Recipient is not on WhatsApp" },
    ]);
    expect(parsed.flatMap((one) => one.replies)).toEqual([{ channel: "whatsapp", from: "+8613800138000", text: "STOP", at, providerId: expect.stringMatching(/^wamid\./) }]);
  });

  it("refuses a body over the limit in the verifier and the parser, and names a malformed field", () => {
    const huge = Buffer.alloc(CHANNEL_WEBHOOK_MAX_BYTES + 1, 0x20);
    expect(() => verifyWhatsAppSignature(huge, "sha256=00", SETTINGS.appSecret)).toThrow(expect.objectContaining({ code: "payload_too_large" }));
    expect(() => parseWhatsAppWebhook(huge)).toThrow(expect.objectContaining({ code: "payload_too_large" }));
    const noTime = JSON.stringify(meta.notification({ statuses: [{ id: "wamid.x", status: "delivered" }] }));
    expect(() => parseWhatsAppWebhook(noTime)).toThrow("entry[0].changes[0].value.statuses[0].timestamp: must be a number");
    expect(() => parseWhatsAppWebhook("{}")).toThrow("entry: is required");
  });
});
