import crypto from "node:crypto";
import { dkimVerify } from "mailauth/lib/dkim/verify";
import { simpleParser, type ParsedMail } from "mailparser";
import qp from "nodemailer/lib/qp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildMessage, trackHtml } from "@/lib/templates/message";
import { buildMime, composeWithNodemailer } from "@/lib/transports/mime";
import { quotedPrintable } from "@/lib/transports/skeleton";
import { createSmtpTransport, type SmtpTransport } from "@/lib/transports/smtp";
import type { OutgoingMessage } from "@/lib/transports/types";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

/*
 * The send path composes each message from a skeleton (lib/transports/skeleton.ts) and signs it with
 * lib/transports/dkim.ts. Every message below goes through the SMTP transport to a real smtp-server,
 * and what arrives must (1) carry a DKIM signature that mailauth verifies against the domain's
 * public key, covering List-Unsubscribe and List-Unsubscribe-Post (RFC 8058), and (2) read in
 * mailparser exactly as nodemailer's composer wrote the same message before.
 */

const DOMAIN = "news.example.com";
const SELECTOR = "fanout";
const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const DKIM = { domainName: DOMAIN, keySelector: SELECTOR, privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
const PUBLIC = publicKey.export({ type: "spki", format: "der" }).toString("base64");

/** The domain's key as DNS would publish it. */
async function resolver(name: string, type: string) {
  if (type === "TXT" && name === `${SELECTOR}._domainkey.${DOMAIN}`) return [[`v=DKIM1; k=rsa; p=${PUBLIC}`]];
  throw Object.assign(new Error(`no ${type} record for ${name}`), { code: "ENOTFOUND" });
}

/** A 1×1 PNG, and a PDF of random bytes (any change in transit shows). */
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
const PDF = Buffer.concat([Buffer.from("%PDF-1.4\n"), crypto.randomBytes(6000), Buffer.from("\n%%EOF\n")]);
const ATTACHMENTS = [
  { fileName: "logo.png", contentType: "image/png", content: PNG, cid: "logo@fanout" },
  { fileName: "报价单 2026.pdf", contentType: "application/pdf", content: PDF },
];

const NAMES = ["张伟", "James O'Brien", "Amélie", "王芳  and\ttabs  ", ""];

/** A personalised newsletter as the engine builds it: tracked links, the open pixel, the unsubscribe pair. */
function newsletter(index: number, options: { attachments?: boolean; fromName?: string; text?: string; html?: string; to?: string } = {}): OutgoingMessage {
  const deliveryId = String(900_000 + index);
  const name = NAMES[index % NAMES.length]!;
  const html =
    options.html ??
    `<p>您好 ${name}，</p>\n<p>Here is what is new this week.   Trailing spaces   \n<a href="https://shop.example.com/articles/${index}?utm_source=newsletter&amp;x=1">Read more</a></p>` +
      `<p><img src="cid:logo@fanout" alt="logo"></p>\n<p>${"A long line without breaks ".repeat(8)}</p>`;
  return buildMessage({
    deliveryId,
    to: options.to ?? `reader${index}@example.test`,
    from: { address: `news@${DOMAIN}`, ...(options.fromName === "" ? {} : { name: options.fromName ?? "市场部 张三" }) },
    rendered: {
      subject: `${name || "Hello"}，春季新品发布会邀请 — issue ${index}`,
      html: html === "" ? "" : trackHtml(html, deliveryId),
      text: options.text ?? `您好 ${name}，\n详情见 https://shop.example.com/articles/${index}\n`,
    },
    attachments: options.attachments ? ATTACHMENTS : undefined,
    replyTo: '"销售 热线" <sales@client.test>',
    dkim: DKIM,
    messageId: `<task.${deliveryId}@${DOMAIN}>`,
    verp: true,
  });
}

/** What a reader's mail program takes from a message. */
function reading(mail: ParsedMail) {
  const header = (name: string) => mail.headerLines.find((line) => line.key === name)?.line.replace(/\r?\n[ \t]+/g, " ").replace(/^[^:]+:\s*/, "");
  return {
    subject: mail.subject,
    from: mail.from?.value,
    to: mail.to && !Array.isArray(mail.to) ? mail.to.value : mail.to,
    replyTo: mail.replyTo?.value,
    messageId: mail.messageId,
    listUnsubscribe: header("list-unsubscribe"),
    listUnsubscribePost: header("list-unsubscribe-post"),
    delivery: header("x-fanout-delivery"),
    text: mail.text,
    html: mail.html,
    attachments: mail.attachments.map((attachment) => ({
      filename: attachment.filename,
      contentType: attachment.contentType,
      contentDisposition: attachment.contentDisposition,
      cid: attachment.cid,
      related: attachment.related ?? false,
      sha256: crypto.createHash("sha256").update(attachment.content).digest("hex"),
    })),
  };
}

describe("messages composed from a skeleton", () => {
  let sink: SmtpSink;
  let transport: SmtpTransport;
  beforeAll(async () => {
    sink = await startSmtpSink();
    transport = createSmtpTransport({ url: sink.url, maxConnections: 3 });
  });
  afterAll(async () => {
    await transport?.close();
    await sink?.close();
  });

  const cases: [string, OutgoingMessage[]][] = [
    ["personalised with tracked links, a Chinese subject and From name", NAMES.map((_, index) => newsletter(index))],
    ["with an inline image and a PDF with a Chinese file name", [1, 2, 3].map((index) => newsletter(index, { attachments: true }))],
    ["text only", [newsletter(10, { html: "" })]],
    ["HTML only, with its inline image", [newsletter(11, { text: "", attachments: true })]],
    ["text only with attachments (the inline image as an attachment)", [newsletter(12, { html: "", attachments: true })]],
    ["plain ASCII, short lines (7bit), no From name", [newsletter(13, { fromName: "", text: "Hello there\nSee you", html: "<p>Hello</p>" })]],
    ["to an internationalised address (composed by nodemailer)", [newsletter(14, { to: "用户@example.test" })]],
  ];

  it.each(cases)("%s: DKIM passes with mailauth and mailparser reads what nodemailer's composer wrote", async (_name, messages) => {
    sink.reset();
    const results = await transport.sendBatch(messages);
    expect(results.map((result) => result.ok)).toEqual(messages.map(() => true));
    for (const message of messages) {
      const received = sink.messages.find((candidate) => candidate.envelope.rcptTo[0] === message.to)!;
      expect(received.envelope.mailFrom).toBe(message.envelopeFrom);

      const dkim = await dkimVerify(received.raw, { resolver });
      expect(dkim.results.map((result) => [result.signingDomain, result.status.result])).toEqual([[DOMAIN, "pass"]]);
      const signature = /^DKIM-Signature:((?:.*)(?:\r\n[ \t].*)*)/m.exec(received.raw.toString("latin1"))![1]!.replace(/\s+/g, "");
      const signed = /(?:^|;)h=([^;]+)/.exec(signature)![1]!.toLowerCase().split(":");
      expect(signed).toEqual(expect.arrayContaining(["from", "to", "subject", "message-id", "date", "list-unsubscribe", "list-unsubscribe-post"]));

      const composedBefore = await simpleParser(await composeWithNodemailer(message), { keepCidLinks: true });
      const arrived = await simpleParser(received.raw, { keepCidLinks: true });
      expect(reading(arrived)).toEqual(reading(composedBefore));
      expect(arrived.to).toMatchObject({ value: [{ address: message.to }] });
    }
  });

  it("gives each recipient its own body and signature while sharing the skeleton's attachment bytes", async () => {
    const [first, second] = [newsletter(21, { attachments: true }), newsletter(22, { attachments: true })];
    const [a, b] = [await buildMime(first), await buildMime(second)];
    const bodyHash = (raw: Buffer) => /bh=([^;]+);/.exec(raw.toString("latin1").replace(/\r\n[ \t]+/g, ""))![1];
    expect(bodyHash(a)).not.toBe(bodyHash(b));
    const pdfBase64 = PDF.toString("base64").slice(0, 76);
    expect(a.toString("latin1")).toContain(pdfBase64);
    expect(b.toString("latin1")).toContain(pdfBase64);
    // The same recipient's message composed twice reads the same (the body is reused, not re-encoded differently).
    expect(reading(await simpleParser(await buildMime(first), { keepCidLinks: true }))).toEqual(reading(await simpleParser(a, { keepCidLinks: true })));
  });

  it("encodes quoted-printable exactly as nodemailer does", () => {
    const samples = ["plain", "a = b", "trailing space \nand tab\t\r\nend ", "中文 and émoji 😀", "\u0000\u0007\u007f controls", "=\r\n=", " ", "\t"];
    for (const sample of samples) expect(quotedPrintable(sample)).toBe(qp.encode(sample));
  });
});
