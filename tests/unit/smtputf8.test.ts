/**
 * Internationalised addresses (RFC 6531) leave only through a relay that offers SMTPUTF8: sent
 * as typed where it does, refused with a final, clear reason where it does not, and never sent
 * to a Resend API that does not document them.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalizeAddress } from "@/lib/addresses/normalize";
import { categoryOfReply } from "@/lib/feedback/reply";
import { describeReason } from "@/lib/i18n/describe";
import { reasonsEn } from "@/lib/i18n/reasons-en";
import { reasonsZh } from "@/lib/i18n/reasons-zh";
import { createResendTransport } from "@/lib/transports/resend";
import { createSmtpTransport } from "@/lib/transports/smtp";
import { outgoingMessage } from "../helpers/messages";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

const REFUSAL = describeReason(reasonsEn, "smtputf8Unsupported");

function address(typed: string): string {
  const checked = normalizeAddress(typed);
  if (!checked.ok || !checked.utf8) throw new Error(`${typed} should be an internationalised address`);
  return checked.email;
}

describe("SMTPUTF8", () => {
  let withUtf8: SmtpSink;
  let withoutUtf8: SmtpSink;

  beforeAll(async () => {
    withUtf8 = await startSmtpSink();
    withoutUtf8 = await startSmtpSink({ withoutSmtpUtf8: true });
  });
  afterAll(async () => {
    await withUtf8.close();
    await withoutUtf8.close();
  });

  it("sends a Unicode mailbox name as typed to a relay that offers SMTPUTF8", async () => {
    const to = address("中文@例子.中国");
    expect(to).toBe("中文@xn--fsqu00a.xn--fiqs8s");
    const transport = createSmtpTransport({ url: withUtf8.url });
    try {
      const [result] = await transport.sendBatch([outgoingMessage(to, { subject: "你好" })]);
      expect(result).toMatchObject({ ok: true, code: 250 });
      const [received] = await withUtf8.waitFor(1);
      // smtp-server reports the domain of RCPT TO decoded from punycode.
      expect(received!.envelope.rcptTo).toEqual(["中文@例子.中国"]);
      const mail = await received!.parse();
      expect(received!.raw.toString("utf8")).toMatch(/^To: 中文@xn--fsqu00a\.xn--fiqs8s\r$/m);
      expect(mail.subject).toBe("你好");
    } finally {
      await transport.close();
    }
  });

  it("declares SMTPUTF8 on MAIL FROM for that message only", async () => {
    const declared: [string, boolean][] = [];
    const relay = new SMTPServer({
      logger: false,
      authOptional: true,
      disabledCommands: ["AUTH", "STARTTLS"],
      onRcptTo: (rcpt, session, callback) => (declared.push([rcpt.address, session.envelope.smtpUtf8 === true]), callback()),
      onData: (stream, _session, callback) => (stream.resume(), stream.on("end", () => callback())),
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    const transport = createSmtpTransport({ url: `smtp://127.0.0.1:${(relay.server.address() as AddressInfo).port}`, maxConnections: 1 });
    try {
      const results = await transport.sendBatch([outgoingMessage(address("用户@例子.中国")), outgoingMessage("ann@example.test")]);
      expect(results.map((result) => result.ok)).toEqual([true, true]);
      expect(declared).toEqual([
        ["用户@例子.中国", true],
        ["ann@example.test", false],
      ]);
    } finally {
      await transport.close();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }
  });

  it("refuses it, finally and clearly, on a relay without SMTPUTF8, and still sends the ASCII addresses beside it", async () => {
    withoutUtf8.reset();
    const transport = createSmtpTransport({ url: withoutUtf8.url, maxConnections: 1 });
    try {
      const messages = [outgoingMessage("before@example.test"), outgoingMessage(address("josé@example.com")), outgoingMessage("after@example.test")];
      const results = await transport.sendBatch(messages);
      expect(results[0]).toMatchObject({ ok: true });
      expect(results[1]).toEqual({ id: messages[1]!.id, ok: false, retry: false, reply: REFUSAL });
      expect(results[2]).toMatchObject({ ok: true });
      // Nothing of the refused message reached the relay: no transaction, no garbled recipient.
      expect(withoutUtf8.messages.map((m) => m.envelope.rcptTo)).toEqual([["before@example.test"], ["after@example.test"]]);
      expect(withoutUtf8.messages.some((m) => m.raw.toString("utf8").includes("jos"))).toBe(false);
    } finally {
      await transport.close();
    }
  });

  it("does not count the refusal as a bounce of the address: the relay is what cannot take it", () => {
    expect(categoryOfReply({ reply: REFUSAL })).not.toMatch(/user_unknown|mailbox_full/);
    expect(describeReason(reasonsZh, "smtputf8Unsupported")).toMatch(/国际化邮箱地址/);
  });

  it("refuses it for Resend without calling the API, and sends the ASCII address in the same batch", async () => {
    const bodies: unknown[] = [];
    const api = http.createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      request.on("end", () => {
        const emails = JSON.parse(body) as unknown[];
        bodies.push(emails);
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ data: emails.map((_, i) => ({ id: `re_${i}` })) }));
      });
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    const transport = createResendTransport({ apiKey: "re_test", baseUrl: `http://127.0.0.1:${(api.address() as AddressInfo).port}`, maxRetries: 0 });
    try {
      const messages = [outgoingMessage(address("用户@例子.中国")), outgoingMessage("ann@example.test")];
      const results = await transport.sendBatch(messages);
      expect(results[0]).toEqual({ id: messages[0]!.id, ok: false, retry: false, reply: REFUSAL });
      expect(results[1]).toMatchObject({ ok: true, providerId: "re_0" });
      expect(JSON.stringify(bodies)).not.toContain("用户");
      expect(bodies).toHaveLength(1);
    } finally {
      await new Promise((resolve) => api.close(resolve));
    }
  });
});
