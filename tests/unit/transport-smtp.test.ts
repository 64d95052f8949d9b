import crypto from "node:crypto";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSmtpTransport, describeSmtpUrl, isLoopbackHost, smtpOptionsFromUrl } from "@/lib/transports/smtp";
import type { OutgoingMessage, Transport } from "@/lib/transports/types";
import { outgoingMessage } from "../helpers/messages";
import { freePort } from "@/tests/helpers/server";
import { startSmtpSink, type SmtpSink } from "@/tests/helpers/smtp-sink";

const message = (to: string, extra: Partial<OutgoingMessage> = {}): OutgoingMessage => outgoingMessage(to, extra);

describe("SMTP transport", () => {
  let sink: SmtpSink;
  let transport: Transport;

  beforeAll(async () => {
    sink = await startSmtpSink();
    transport = createSmtpTransport({ url: sink.url, maxConnections: 3 });
  });
  afterAll(async () => {
    await transport.close();
    await sink.close();
  });

  it("keeps each recipient's reply with it: code, enhanced status, text and whether to retry", async () => {
    sink.reset();
    const recipients = ["ok@example.test", "busy@example.test", "later@example.test", "unknown@example.test", "big@example.test", "spam@example.test", "someone@full.test"];
    const messages = recipients.map((to) => message(to));
    const results = await transport.sendBatch(messages);

    expect(results.map((result) => result.id)).toEqual(messages.map((m) => m.id));
    const [ok, busy, later, unknown, big, spam, full] = results;
    expect(sink.messages).toHaveLength(1);
    expect(ok).toEqual({ id: messages[0]!.id, ok: true, code: 250, reply: `250 OK: queued as ${sink.messages[0]!.queueId}`, providerId: sink.messages[0]!.queueId });
    expect(busy).toMatchObject({ ok: false, retry: true, code: 450, enhancedStatus: "4.2.1", reply: "450 4.2.1 Mailbox busy" });
    expect(later).toMatchObject({ ok: false, retry: true, code: 451, enhancedStatus: "4.7.1", reply: "451 4.7.1 Try again later" });
    expect(unknown).toMatchObject({ ok: false, retry: false, code: 550, enhancedStatus: "5.1.1", reply: "550 5.1.1 User unknown" });
    expect(big).toMatchObject({ ok: false, retry: false, code: 552, enhancedStatus: "5.3.4", reply: "552 5.3.4 Message too big" });
    expect(spam).toMatchObject({ ok: false, retry: false, code: 554, enhancedStatus: "5.7.1", reply: "554 5.7.1 Message rejected as spam" });
    expect(full).toMatchObject({ ok: false, retry: true, code: 452, enhancedStatus: "4.2.2", reply: "452 4.2.2 Mailbox full" });
  });

  it("sends one transaction per recipient, concurrently up to the pool size", async () => {
    const slow = await startSmtpSink({ dataDelayMs: 100 });
    const pooled = createSmtpTransport({ url: slow.url, maxConnections: 3 });
    try {
      const messages = Array.from({ length: 9 }, (_, i) => message(`reader${i}@example.test`, { envelopeFrom: `bounce+${i}@news.example.com` }));
      const results = await pooled.sendBatch(messages);
      expect(results.every((result) => result.ok)).toBe(true);
      expect(slow.messages.map((m) => m.envelope).sort((a, b) => a.rcptTo[0]!.localeCompare(b.rcptTo[0]!))).toEqual(
        messages.map((m, i) => ({ mailFrom: `bounce+${i}@news.example.com`, rcptTo: [m.to] })),
      );
      expect(slow.stats).toMatchObject({ connections: 3, peakConcurrency: 3 });
    } finally {
      await pooled.close();
      await slow.close();
    }
  });

  it("delivers a Chinese subject and body, a link and an attachment intact, with the list headers", async () => {
    sink.reset();
    const attachment = crypto.randomBytes(3000);
    const sent = message("reader@example.test", {
      subject: "季度报告：欢迎订阅我们的通讯 🎉",
      text: "您好，张伟！\n请查看本季度的报告：https://news.example.com/r/2024-q3?utm=邮件",
      html: '<p>您好，<b>张伟</b>！</p><p><a href="https://news.example.com/r/2024-q3?a=1&amp;b=2">查看报告</a></p>',
      attachments: [{ filename: "报告.pdf", contentType: "application/pdf", content: attachment }],
      replyTo: "editor@news.example.com",
    });
    const [result] = await transport.sendBatch([sent]);
    expect(result).toMatchObject({ ok: true, code: 250 });

    const mail = await sink.messages[0]!.parse();
    expect(mail.subject).toBe(sent.subject);
    expect(mail.text?.trim()).toBe(sent.text);
    expect(mail.html).toContain('<a href="https://news.example.com/r/2024-q3?a=1&amp;b=2">查看报告</a>');
    expect(mail.messageId).toBe(sent.messageId);
    expect(mail.messageId).toMatch(/@news\.example\.com>$/);
    expect(mail.from?.value[0]).toEqual({ address: "news@news.example.com", name: "Example News" });
    expect(mail.replyTo?.value[0]?.address).toBe("editor@news.example.com");
    expect(mail.attachments).toHaveLength(1);
    expect(mail.attachments[0]!.filename).toBe("报告.pdf");
    expect(mail.attachments[0]!.contentType).toBe("application/pdf");
    expect(Buffer.compare(mail.attachments[0]!.content, attachment)).toBe(0);
    const header = (name: string) => mail.headerLines.find((line) => line.key === name)?.line.replace(/\r?\n[ \t]+/g, " ");
    expect(header("list-unsubscribe")).toBe(`List-Unsubscribe: ${sent.headers["List-Unsubscribe"]}`);
    expect(header("list-unsubscribe-post")).toBe("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
    expect(header("x-fanout-delivery")).toBe(`X-Fanout-Delivery: ${sent.id}`);
  });

  it("DKIM-signs a message that carries a key, with d= its domain", async () => {
    sink.reset();
    const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const signed = message("reader@example.test", {
      dkim: { domainName: "news.example.com", keySelector: "fanout", privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString() },
    });
    const [result] = await transport.sendBatch([signed, message("plain@example.test")]);
    expect(result?.ok).toBe(true);
    await sink.waitFor(2);
    const signedRaw = sink.messages.find((m) => m.envelope.rcptTo[0] === "reader@example.test")!.raw.toString("utf8");
    const plainRaw = sink.messages.find((m) => m.envelope.rcptTo[0] === "plain@example.test")!.raw.toString("utf8");
    const dkim = /^DKIM-Signature:((?:.*)(?:\r\n[ \t].*)*)/m.exec(signedRaw)?.[1]?.replace(/\s+/g, "");
    expect(dkim).toContain("d=news.example.com;");
    expect(dkim).toContain("s=fanout;");
    expect(dkim).toMatch(/h=[^;]*message-id/i);
    expect(plainRaw).not.toMatch(/^DKIM-Signature:/m);
  });

  it("logs in and upgrades with STARTTLS when the relay asks for it (tls=insecure for its self-signed certificate)", async () => {
    const secured = await startSmtpSink({ auth: { user: "fanout", pass: "p@ss word:1" }, starttls: true });
    const good = createSmtpTransport({ url: secured.url });
    const bad = createSmtpTransport({ url: secured.url.replace(encodeURIComponent("p@ss word:1"), "wrong") });
    try {
      expect(secured.url).toContain("?tls=insecure");
      const [accepted] = await good.sendBatch([message("reader@example.test")]);
      expect(accepted).toMatchObject({ ok: true, code: 250 });
      const [refused] = await bad.sendBatch([message("reader@example.test")]);
      // The relay refused us, not the recipient: worth another try once the credentials are fixed.
      expect(refused).toMatchObject({ ok: false, retry: true, code: 535 });
      expect(secured.messages).toHaveLength(1);
      expect(secured.messages[0]).toMatchObject({ secure: true, user: "fanout" });
    } finally {
      await good.close();
      await bad.close();
      await secured.close();
    }
  });

  it("turns a refused connection into retry results instead of throwing", async () => {
    const port = await freePort();
    const closed = createSmtpTransport({ url: `smtp://127.0.0.1:${port}`, connectionTimeout: 2000 });
    try {
      const messages = [message("a@example.test"), message("b@example.test")];
      const results = await closed.sendBatch(messages);
      expect(results).toHaveLength(2);
      for (const [index, result] of results.entries()) {
        expect(result).toMatchObject({ id: messages[index]!.id, ok: false, retry: true });
        expect(result.ok ? "" : result.reply).toMatch(/ECONNECTION|ECONNREFUSED/);
      }
    } finally {
      await closed.close();
    }
  });

  it("reads relay URLs: decoded credentials, smtps, tls=insecure only when asked", () => {
    expect(smtpOptionsFromUrl("smtp://us%40er:p%3Ass@relay.example.com:2525")).toMatchObject({
      host: "relay.example.com",
      port: 2525,
      secure: false,
      auth: { user: "us@er", pass: "p:ss" },
    });
    expect(smtpOptionsFromUrl("smtp://relay.example.com").tls).toBeUndefined();
    expect(smtpOptionsFromUrl("smtps://relay.example.com?tls=insecure")).toMatchObject({ secure: true, tls: { rejectUnauthorized: false } });
    expect(() => smtpOptionsFromUrl("http://relay.example.com")).toThrow(/smtp:\/\//);
    expect(() => smtpOptionsFromUrl("smtp://relay.example.com?tls=off")).toThrow(/tls=off/);
    expect(describeSmtpUrl("smtp://user:secret@relay.example.com?tls=insecure")).toBe("smtp://relay.example.com:587 (as user)");
  });

  it("requires TLS before sending credentials to a relay that is not on this machine", () => {
    const requiresTls = (url: string) => smtpOptionsFromUrl(url).requireTLS === true;
    for (const url of ["smtp://user:pass@relay.example.com", "smtp://user:pass@192.0.2.10:2525", "smtp://user:pass@[2001:db8::25]", "smtp://user:pass@localhost.example.com"]) {
      expect({ url, requiresTls: requiresTls(url) }).toEqual({ url, requiresTls: true });
    }
    // Loopback is this machine; smtps is TLS from the first byte; without credentials there is nothing to protect.
    for (const url of ["smtp://user:pass@127.0.0.1:2525", "smtp://user:pass@127.8.9.10", "smtp://user:pass@localhost", "smtp://user:pass@LOCALHOST.", "smtp://user:pass@[::1]:25", "smtp://user:pass@[::ffff:127.0.0.1]", "smtps://user:pass@relay.example.com", "smtp://relay.example.com"]) {
      expect({ url, requiresTls: requiresTls(url) }).toEqual({ url, requiresTls: false });
    }
  });

  it("refuses before AUTH when a relay elsewhere offers no STARTTLS (stripped from its EHLO reply), and still logs in over loopback", async () => {
    const commands: string[] = [];
    const logins: string[] = [];
    const relay = new SMTPServer({
      logger: false,
      closeTimeout: 200,
      disabledCommands: ["STARTTLS"],
      allowInsecureAuth: true,
      onConnect(session, callback) {
        commands.push(`connect from ${session.remoteAddress}`);
        callback();
      },
      onAuth(auth, _session, callback) {
        logins.push(auth.username ?? "");
        callback(null, { user: auth.username });
      },
      onMailFrom(address, _session, callback) {
        commands.push(`MAIL FROM ${address.address}`);
        callback();
      },
      onData(stream, _session, callback) {
        stream.resume();
        stream.on("end", () => callback());
      },
    });
    // Listening on every address: reached through an outside address it is a relay elsewhere, through 127.0.0.1 a local one.
    const elsewhere = nonLoopbackAddress();
    await new Promise<void>((resolve) => relay.listen(0, "0.0.0.0", resolve));
    const port = (relay.server.address() as AddressInfo).port;
    const remote = createSmtpTransport({ url: `smtp://fanout:secret@${elsewhere}:${port}` });
    const local = createSmtpTransport({ url: `smtp://fanout:secret@127.0.0.1:${port}` });
    try {
      expect(isLoopbackHost(elsewhere)).toBe(false);
      const [refused] = await remote.sendBatch([message("reader@example.test")]);
      expect(refused).toMatchObject({ ok: false, retry: true });
      expect(refused!.ok ? "" : refused!.reply).toMatch(/ETLS|STARTTLS/);
      expect(commands.some((command) => command.startsWith("connect"))).toBe(true);
      expect(logins).toEqual([]);
      expect(commands.filter((command) => command.startsWith("MAIL"))).toEqual([]);

      const [sent] = await local.sendBatch([message("reader@example.test")]);
      expect(sent).toMatchObject({ ok: true });
      expect(logins).toEqual(["fanout"]);
    } finally {
      await remote.close();
      await local.close();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }
  });
});

/**
 * A name for this machine that is not a loopback literal, to reach a local relay the way a remote
 * one is reached: its first outside IPv4 address, else its host name (whatever that resolves to).
 */
function nonLoopbackAddress(): string {
  const outside = Object.values(os.networkInterfaces())
    .flat()
    .find((entry) => entry && entry.family === "IPv4" && !entry.internal);
  return outside?.address ?? os.hostname();
}
