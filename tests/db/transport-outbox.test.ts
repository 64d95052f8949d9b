import crypto from "node:crypto";
import { eq, inArray } from "drizzle-orm";
import { simpleParser } from "mailparser";
import { expect, it } from "vitest";
import { outboxMessages } from "@/db/schema";
import { buildMime } from "@/lib/transports/mime";
import { createOutboxTransport } from "@/lib/transports/outbox";
import type { OutgoingMessage } from "@/lib/transports/types";
import { outgoingMessage } from "../helpers/messages";
import { describeOnDatabases } from "../helpers/db";
import { makeDepartment } from "../helpers/factories";

const message = (to: string, extra: Partial<OutgoingMessage> = {}): OutgoingMessage =>
  outgoingMessage(to, {
    from: { address: "news@news.example.com", name: "通讯编辑部" },
    subject: "季度报告：欢迎订阅 🎉",
    html: '<p>您好！<a href="https://news.example.com/r/1?a=1&amp;b=2">查看报告</a></p>',
    text: "您好！查看报告：https://news.example.com/r/1?a=1&b=2",
    ...extra,
  });

describeOnDatabases("outbox transport", (db) => {
  it("stores each message's MIME, which parses back to the same message", async () => {
    const department = await makeDepartment(db());
    const attachment = crypto.randomBytes(2048);
    const messages = [
      message("reader@example.test", {
        departmentId: department.id,
        replyTo: "editor@news.example.com",
        attachments: [{ filename: "报告.pdf", contentType: "application/pdf", content: attachment }],
      }),
      message("second@example.test"),
    ];
    const transport = createOutboxTransport(db());
    const results = await transport.sendBatch(messages);

    expect(results.map((result) => [result.id, result.ok])).toEqual(messages.map((m) => [m.id, true]));
    const ids = results.map((result) => (result.ok ? result.providerId! : ""));
    const rows = await db().select().from(outboxMessages).where(inArray(outboxMessages.id, ids));
    expect(rows).toHaveLength(2);
    const row = rows.find((r) => r.id === ids[0])!;
    expect(row).toMatchObject({
      departmentId: department.id,
      kind: "delivery",
      fromAddress: "news@news.example.com",
      toAddress: "reader@example.test",
      subject: messages[0]!.subject,
      messageId: messages[0]!.messageId,
    });
    expect(rows.find((r) => r.id === ids[1])!.departmentId).toBeNull();

    const sent = messages[0]!;
    const mail = await simpleParser(row.mime);
    expect(mail.subject).toBe(sent.subject);
    expect(mail.text?.trim()).toBe(sent.text);
    expect(mail.html).toContain('<a href="https://news.example.com/r/1?a=1&amp;b=2">查看报告</a>');
    expect(mail.messageId).toBe(sent.messageId);
    expect(mail.from?.value[0]).toEqual({ address: "news@news.example.com", name: "通讯编辑部" });
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address : undefined).toBe("reader@example.test");
    expect(mail.replyTo?.value[0]?.address).toBe("editor@news.example.com");
    expect(mail.attachments).toHaveLength(1);
    expect(mail.attachments[0]!.filename).toBe("报告.pdf");
    expect(Buffer.compare(mail.attachments[0]!.content, attachment)).toBe(0);
    const header = (name: string) => mail.headerLines.find((line) => line.key === name)?.line.replace(/\r?\n[ \t]+/g, " ");
    expect(header("list-unsubscribe")).toBe(`List-Unsubscribe: ${sent.headers["List-Unsubscribe"]}`);
    expect(header("list-unsubscribe-post")).toBe("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
    expect(header("x-fanout-delivery")).toBe(`X-Fanout-Delivery: ${sent.id}`);
    expect(row.mime).toContain("\r\n");
  });

  it("writes the same bytes buildMime gives (the SMTP path's composition), apart from the Date", async () => {
    const sent = message("same@example.test");
    const [result] = await createOutboxTransport(db()).sendBatch([sent]);
    const [row] = await db().select().from(outboxMessages).where(eq(outboxMessages.id, result!.ok ? result!.providerId! : ""));
    const normalise = (mime: string) => mime.replace(/^Date: .*$/m, "").replace(/(boundary="?|^--)[-_=A-Za-z0-9]+/gm, "$1B");
    expect(normalise(row!.mime)).toBe(normalise((await buildMime(sent)).toString("utf8")));
  });

  it("gives retry results for every message when the rows cannot be stored", async () => {
    // A department that does not exist violates the foreign key, so the INSERT fails as a whole.
    const messages = [message("a@example.test", { departmentId: crypto.randomUUID() }), message("b@example.test")];
    const results = await createOutboxTransport(db()).sendBatch(messages);
    expect(results).toEqual(messages.map((m) => expect.objectContaining({ id: m.id, ok: false, retry: true })));
    const stored = await db().select().from(outboxMessages).where(inArray(outboxMessages.messageId, messages.map((m) => m.messageId)));
    expect(stored).toHaveLength(0);
  });
});
