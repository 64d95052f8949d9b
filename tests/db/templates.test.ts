import { eq } from "drizzle-orm";
import { simpleParser, type ParsedMail } from "mailparser";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { contacts, outboxMessages, templateVersions } from "@/db/schema";
import { POST as createTemplateRoute } from "@/app/api/v1/templates/route";
import { createApiKey } from "@/lib/auth/api-keys";
import type { Ctx } from "@/lib/context";
import { AppError } from "@/lib/errors";
import { importTable } from "@/lib/pools/import-csv";
import { createPool } from "@/lib/pools/pools";
import { addDomain } from "@/lib/senders/domains";
import { createSender } from "@/lib/senders/senders";
import { storeAttachment } from "@/lib/templates/attachments";
import { assertTemplateUsable, createTemplate, loadTemplate, renderContent, sampleContact, saveTemplateVersion } from "@/lib/templates/store";
import { testSend } from "@/lib/templates/test-send";
import { describeOnDatabases } from "../helpers/db";
import { streamOf } from "../helpers/bytes";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";
import { rejection } from "../helpers/rejection";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

vi.mock("next/headers", () => import("../helpers/next-headers"));

const HTML = `<p>您好 {{ name }}，</p>
<p>{{ attributes.city | default: "您所在的城市" }} 的新品已经上架。</p>
<p><a href="https://shop.example.com/new?from=mail">查看新品</a></p>`;
const PDF = Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");

let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink?.close();
});

/** What a reader sees of a message, so the three renderings can be compared. */
function seen(mail: ParsedMail) {
  const link = /href="([^"]+)"/.exec(typeof mail.html === "string" ? mail.html : "")?.[1];
  return {
    subject: mail.subject,
    city: /北京/.test(mail.text ?? "") && /北京/.test(typeof mail.html === "string" ? mail.html : ""),
    link,
    attachment: mail.attachments.map((attachment) => [attachment.filename, attachment.contentType, attachment.content.equals(PDF)]),
    messageIdDomain: mail.messageId?.split("@")[1],
    listUnsubscribe: mail.headerLines.find((header) => header.key === "list-unsubscribe-post")?.line,
    unsubscribeLinks: /^List-Unsubscribe: <https?:\/\/[^>]+\/u\/[^>]+>, <mailto:unsubscribe\+[^>]+>$/.test(
      mail.headerLines.find((header) => header.key === "list-unsubscribe")?.line.replace(/\r?\n\s+/g, " ") ?? "",
    ),
  };
}

describeOnDatabases("templates", (db) => {
  let ctx: Ctx;
  let departmentId: string;

  beforeAll(async () => {
    const department = await makeDepartment(db());
    departmentId = department.id;
    const user = await makeUser(db(), "department", { departmentId });
    ctx = { db: db(), actor: actorFor(user, "department", departmentId) };
  });

  it("renders Chinese text, an attribute, a link and an attachment alike in preview, over SMTP and in the outbox", async () => {
    const pool = await createPool(ctx, { name: unique("vip") });
    await importTable(ctx, pool.id, streamOf("email,name,city\nli@example.cn,李娜,北京\n"));
    const domain = await addDomain(ctx, { domain: `${unique("shop")}.example.cn`, departmentId });
    const sender = await createSender(ctx, { address: `news@${domain.domain}`, name: "新品通知" });
    const attachment = await storeAttachment(ctx, departmentId, "目录.pdf", PDF);
    const template = await createTemplate(ctx, { name: unique("新品"), subject: "{{ name }}，{{ attributes.city }} 新品", html: HTML, attachmentIds: [attachment.id] });
    expect(template.lint.errors).toEqual([]);

    const [contact] = await db().select().from(contacts).where(eq(contacts.email, "li@example.cn"));
    const loaded = await loadTemplate(ctx, template.id);
    const preview = renderContent(loaded.content, await sampleContact(ctx, departmentId, contact!.id));
    expect(preview.subject).toBe("李娜，北京 新品");
    expect(preview.html).toContain("北京 的新品已经上架");
    expect(preview.text).toContain("北京 的新品已经上架");
    expect(preview.text).toContain("https://shop.example.com/new?from=mail");

    sink.reset();
    const previousSmtp = process.env.SMTP_URL;
    process.env.SMTP_URL = sink.url;
    try {
      const viaSmtp = await testSend(ctx, { templateId: template.id, senderId: sender.id, recipients: "reader@example.org", contactId: contact!.id });
      expect(viaSmtp.transport).toBe("smtp");
      expect(viaSmtp.results).toEqual([expect.objectContaining({ to: "reader@example.org", ok: true, code: 250 })]);
    } finally {
      if (previousSmtp === undefined) delete process.env.SMTP_URL;
      else process.env.SMTP_URL = previousSmtp;
    }
    const [received] = await sink.waitFor(1);
    const overSmtp = seen(await received!.parse());

    const viaOutbox = await testSend(ctx, { templateId: template.id, senderId: sender.id, recipients: "reader@example.org", contactId: contact!.id });
    expect(viaOutbox.transport).toBe("outbox");
    const [stored] = await db().select().from(outboxMessages).where(eq(outboxMessages.toAddress, "reader@example.org"));
    const inOutbox = seen(await simpleParser(stored!.mime));

    const expected = {
      subject: `[TEST] ${preview.subject}`,
      city: true,
      link: "https://shop.example.com/new?from=mail",
      attachment: [["目录.pdf", "application/pdf", true]],
      messageIdDomain: `${domain.domain}>`,
      listUnsubscribe: "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
      unsubscribeLinks: true,
    };
    expect(overSmtp).toEqual(expected);
    expect(inOutbox).toEqual(expected);
    const parsed = await received!.parse();
    expect(parsed.headerLines.find((header) => header.key === "dkim-signature")?.line).toMatch(new RegExp(`d=${domain.domain.replace(/\./g, "\\.")}`));
  });

  it("refuses broken templates with the line and column, by the console and the API", async () => {
    const unclosed = await rejection(
      createTemplate(ctx, { name: unique("broken"), subject: "Hi", html: "<p>Hi {{ name }}</p>\n<p>{% if attributes.vip %}VIP" }),
      AppError,
    );
    expect(unclosed.code).toBe("invalid_input");
    expect(unclosed.message).toMatch(/line 2, column 4\)$/);
    const filter = await rejection(createTemplate(ctx, { name: unique("broken"), subject: "Hi", html: "<p>\n\n{{ name | nosuchfilter }}</p>" }), AppError);
    expect(filter.message).toMatch(/nosuchfilter/);
    expect(filter.message).toMatch(/line 3, column 1\)$/);

    const key = await createApiKey(ctx, { scope: { company: false, departmentId } });
    const response = await createTemplateRoute(
      new Request("http://fanout.test/api/v1/templates", {
        method: "POST",
        headers: { authorization: `Bearer ${key.secret}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "api", subject: "Hi", html: "{{ name | nosuchfilter }}" }),
      }),
      { params: Promise.resolve({}) },
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { details: { errors: { code: string; line: number; column: number }[] } } };
    expect(body.error.details.errors[0]).toMatchObject({ code: "unknown_filter", line: 1, column: 1 });
  });

  it("keeps every version and refuses a version with errors to a task", async () => {
    const template = await createTemplate(ctx, { name: unique("versions"), subject: "v1", html: "<p>one</p>" });
    const second = await saveTemplateVersion(ctx, template.id, { name: "renamed", subject: "v2", html: "<p>two</p>" });
    expect(second.version).toBe(2);
    expect((await loadTemplate(ctx, template.id, 1)).content.subject).toBe("v1");
    expect((await assertTemplateUsable(ctx, template.id)).content.subject).toBe("v2");
    // A version stored before today's rules (or written by hand) is checked again before use.
    await db().insert(templateVersions).values({ templateId: template.id, version: 3, subject: "v3", html: "{% if %}", lint: { errors: [], warnings: [] }, usable: true });
    expect((await rejection(assertTemplateUsable(ctx, template.id, 3), AppError)).code).toBe("invalid_input");
  });

  it("refuses attachments that are too large, of a refused type or not what their name says", async () => {
    expect((await rejection(storeAttachment(ctx, departmentId, "tool.exe", Buffer.from("MZ\x90\x00")), AppError)).message).toMatch(/\.exe files cannot be attached/);
    expect((await rejection(storeAttachment(ctx, departmentId, "fake.pdf", Buffer.from("MZ\x90\x00binary")), AppError)).message).toBe("fake.pdf: the content is not a .pdf file");
    const big = await rejection(storeAttachment(ctx, departmentId, "big.txt", Buffer.alloc(11 * 1024 * 1024, 0x61)), AppError);
    expect(big.code).toBe("payload_too_large");
  });
});
