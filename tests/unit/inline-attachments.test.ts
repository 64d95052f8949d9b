import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildMime } from "@/lib/transports/mime";
import { createResendTransport } from "@/lib/transports/resend";
import type { OutgoingMessage } from "@/lib/transports/types";
import { outgoingMessage } from "../helpers/messages";
import { startFakeResend, type FakeResend } from "../helpers/fake-resend";

/** A 1×1 PNG. */
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
const PDF = Buffer.from("%PDF-1.4\nbody\n%%EOF\n");

const withInlineImage = (to: string): OutgoingMessage =>
  outgoingMessage(to, {
    html: '<p>Logo: <img src="cid:logo@client"></p>',
    text: "Logo",
    attachments: [
      { filename: "logo.png", contentType: "image/png", content: PNG, cid: "logo@client" },
      { filename: "price.pdf", contentType: "application/pdf", content: PDF },
    ],
  });

describe("inline attachments (a content id)", () => {
  it("go into multipart/related beside the HTML with their Content-ID; the others stay attachments", async () => {
    const mime = await buildMime(withInlineImage("reader@example.test"));
    const text = mime.toString("latin1");
    expect(text).toMatch(/Content-Type: multipart\/related; type="text\/html"/);
    expect(text).toMatch(/^Content-Id: <logo@client>$/im);
    const mail = await simpleParser(mime, { keepCidLinks: true });
    expect(mail.html).toContain('src="cid:logo@client"');
    const logo = mail.attachments.find((attachment) => attachment.cid === "logo@client")!;
    expect(logo).toMatchObject({ related: true, contentDisposition: "inline" });
    expect(logo.content.equals(PNG)).toBe(true);
    const pdf = mail.attachments.find((attachment) => attachment.filename === "price.pdf")!;
    expect(pdf).toMatchObject({ contentDisposition: "attachment" });
    expect(pdf.related).toBeFalsy();
  });

  describe("through Resend", () => {
    let fake: FakeResend;
    beforeAll(async () => {
      fake = await startFakeResend({ apiKey: "re_test_key" });
    });
    afterAll(async () => {
      await fake.close();
    });

    it("carry their content id, which Resend sends inline", async () => {
      const transport = createResendTransport({ apiKey: "re_test_key", baseUrl: fake.url });
      const [result] = await transport.sendBatch([withInlineImage("reader@example.test")], { idempotencyKey: "inline-1" });
      expect(result).toMatchObject({ ok: true });
      const body = fake.requests.at(-1)!.body as { attachments: Record<string, unknown>[] };
      expect(body.attachments).toEqual([
        expect.objectContaining({ filename: "logo.png", content_type: "image/png", content_id: "logo@client", content: PNG.toString("base64") }),
        expect.not.objectContaining({ content_id: expect.anything() }),
      ]);
    });
  });
});
