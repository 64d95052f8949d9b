import { eq, inArray } from "drizzle-orm";
import { simpleParser, type ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { auxiliaryMail, companies, contacts, departments, outboxMessages, templateVersions } from "@/db/schema";
import { AUXILIARY_MAIL_LIMITS } from "@/lib/accounts/mail-limits";
import { systemActor } from "@/lib/access/actor";
import { addSuppressions } from "@/lib/pools/suppression";
import { POST as createTemplateRoute } from "@/app/api/v1/templates/route";
import { createApiKey } from "@/lib/accounts/api-keys";
import type { Ctx } from "@/lib/access/context";
import { AppError } from "@/lib/errors";
import { describeRefusal } from "@/lib/i18n/describe";
import { reasonsZh } from "@/lib/i18n/reasons-zh";
import { importTable } from "@/lib/pools/import-csv";
import { createPool } from "@/lib/pools/pools";
import { createSender } from "@/lib/senders/senders";
import { storeAttachment } from "@/lib/templates/attachments";
import { assertTemplateUsable, createTemplate, loadTemplate, renderContent, sampleContact, saveTemplateVersion } from "@/lib/templates/store";
import { testSend } from "@/lib/templates/test-send";
import { describeOnDatabases } from "../helpers/db";
import { streamOf } from "../helpers/bytes";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";
import { rejection } from "../helpers/rejection";
import { addVerifiedDomain } from "../helpers/sending";
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
    const domain = await addVerifiedDomain({ db: db(), actor: systemActor("test") }, `${unique("shop")}.example.cn`, departmentId);
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
    expect(unclosed.message).toBe('The template has errors: "{% if attributes.vip %}" is never closed: add "{% endif %}". (html, line 2, column 4)');
    // The refusal crosses as a reason, so the console words it in the reader's language.
    expect(unclosed).toMatchObject({ reason: "templateHasErrorsAt", params: { problem: "lintBlockNotClosed", templatePart: "html", line: 2, column: 4 } });
    expect(describeRefusal(reasonsZh, unclosed)).toBe("模板有错误：“{% if attributes.vip %}”没有结束：请加上“{% endif %}”。（HTML第 2 行第 4 列）");
    const filter = await rejection(createTemplate(ctx, { name: unique("broken"), subject: "Hi", html: "<p>\n\n{{ name | nosuchfilter }}</p>" }), AppError);
    expect(filter.message).toMatch(/nosuchfilter/);
    expect(filter.message).toMatch(/line 3, column 1\)$/);
    const empty = await rejection(createTemplate(ctx, { name: unique("broken"), subject: " ", html: "<p>x</p>" }), AppError);
    expect(empty).toMatchObject({ reason: "templateHasErrorsIn", params: { problem: "lintSubjectEmpty", templatePart: "subject" } });
    expect(empty.message).toBe("The template has errors: The subject is empty. (subject)");
    expect(describeRefusal(reasonsZh, empty)).toBe("模板有错误：主题为空。（主题）");

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

  describe("test sends", () => {
    /** A department with a user, a template and a sender of its own, so limits and quota start from nothing. */
    async function testSendSetup(quota: number | null = null) {
      const department = await makeDepartment(db(), { quota });
      const user = await makeUser(db(), "department", { departmentId: department.id });
      const own: Ctx = { db: db(), actor: actorFor(user, "department", department.id) };
      const domain = await addVerifiedDomain({ db: db(), actor: systemActor("test") }, `${unique("test")}.example.com`, department.id);
      const sender = await createSender(own, { address: `news@${domain.domain}` });
      const template = await createTemplate(own, { name: unique("t"), subject: "Hi", html: "<p>Hi {{ name }}</p>" });
      const send = (as: Ctx, recipients: string[]) => testSend(as, { templateId: template.id, senderId: sender.id, recipients: recipients.join(", ") });
      return { department, ctx: own, send };
    }
    const outboxFor = async (emails: string[]) => (await db().select({ to: outboxMessages.toAddress }).from(outboxMessages).where(inArray(outboxMessages.toAddress, emails))).map((row) => row.to);
    const addresses = (count: number) => Array.from({ length: count }, () => `${unique("t")}@example.org`);

    it("skips suppressed addresses and says which", async () => {
      const { ctx: own, send } = await testSendSetup();
      const [gone, reader] = addresses(2) as [string, string];
      await addSuppressions(own, { addresses: gone, reason: "unsubscribed" });
      const sent = await send(own, [gone, reader]);
      expect(sent.results).toEqual([
        expect.objectContaining({ to: reader, ok: true, skipped: null }),
        expect.objectContaining({ to: gone, ok: false, skipped: "unsubscribed", reply: "Skipped: the address is suppressed (unsubscribed)" }),
      ]);
      expect(await outboxFor([gone, reader])).toEqual([reader]);
    });

    it("counts against the department's and the company's quota and is refused past it", async () => {
      const { department, ctx: own, send } = await testSendSetup(3);
      const [company] = await db().select({ used: companies.quotaUsed }).from(companies);
      await send(own, addresses(2));
      const [after] = await db().select({ used: departments.quotaUsed, reserved: departments.quotaReserved }).from(departments).where(eq(departments.id, department.id));
      expect(after).toEqual({ used: 2, reserved: 0 });
      expect((await db().select({ used: companies.quotaUsed }).from(companies))[0]!.used).toBe(company!.used + 2);
      const tooMany = addresses(2);
      const refused = await rejection(send(own, tooMany), AppError);
      expect(refused.code).toBe("quota_exceeded");
      expect(refused.message).toBe(`Department "${department.name}" has 1 sends left of its quota; this needs 2`);
      expect(await outboxFor(tooMany)).toEqual([]);
    });

    it("limits test messages per user and per department an hour", async () => {
      const { department, ctx: own, send } = await testSendSetup();
      const perCall = 10;
      for (let call = 0; call < AUXILIARY_MAIL_LIMITS.testSendsPerUserPerHour / perCall; call++) await send(own, addresses(perCall));
      const over = addresses(1);
      const refused = await rejection(send(own, over), AppError);
      expect(refused.code).toBe("rate_limited");
      expect(refused.message).toMatch(/^Your test messages are limited to 50 an hour; try again in (59|60) minute\(s\)$/);
      expect(await outboxFor(over)).toEqual([]);

      // A colleague may still test-send, until the department's hour is used up (the rest as other instances would have counted it).
      const colleague = await makeUser(db(), "department", { departmentId: department.id });
      const theirs: Ctx = { db: db(), actor: actorFor(colleague, "department", department.id) };
      await send(theirs, addresses(1));
      const rest = AUXILIARY_MAIL_LIMITS.testSendsPerDepartmentPerHour - AUXILIARY_MAIL_LIMITS.testSendsPerUserPerHour - 1;
      await db().insert(auxiliaryMail).values(Array.from({ length: rest }, (_, index) => ({ kind: "test_send" as const, departmentId: department.id, operatorId: "user:someone-else", email: `earlier-${index}@example.org` })));
      const departmentRefusal = await rejection(send(theirs, addresses(1)), AppError);
      expect(departmentRefusal.code).toBe("rate_limited");
      expect(departmentRefusal.message).toMatch(/^The department's test messages are limited to 200 an hour/);
    });
  });
});
