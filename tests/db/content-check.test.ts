/**
 * Content check on stored templates (issue 16, decision 0070): the check the template editor and the
 * send confirmation show is the one of the stored version, its attachments' sizes included, within
 * the caller's department; the task form's review action returns it for the version the task sends.
 */
import { createElement, type ReactNode } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { beforeAll, expect, it, vi } from "vitest";
import { ContentCheckPanel } from "@/components/deliverability/content-check-panel";
import { I18nProvider } from "@/lib/i18n/client";
import type { Ctx } from "@/lib/access/context";
import { checkTemplateVersion } from "@/lib/deliverability/version-check";
import { AppError } from "@/lib/errors";
import { storeAttachment } from "@/lib/templates/attachments";
import { createTemplate, saveTemplateVersion } from "@/lib/templates/store";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";
import { serveAs } from "../helpers/next-headers";
import { rejection } from "../helpers/rejection";
import { makeSendingSetup, type SendingSetup } from "../helpers/sending";

vi.mock("next/headers", () => import("../helpers/next-headers"));

const SPAM = {
  subject: "恭喜您中奖了！！！ FREE GIFT",
  html: '<a href="https://t.cn/A6xYz"><img src="https://cdn.example.net/zj.jpg"></a><p>点击领取：<a href="https://t.cn/A6abc">www.icbc.com.cn</a></p>',
};
const CLEAN = {
  subject: "十二月动态",
  html:
    "<p>{{ name }}，您好：</p><p>本月我们把投递报告移到了新的页面，每个部门都能一眼看到自己的退信和投诉情况。在杭州的冬季交流会上，我们见到了许多老朋友，大家提出的问题决定了明年的产品规划。</p>" +
    '<p><a href="https://news.example.cn/blog/12">阅读完整动态</a></p><p><a href="{{ unsubscribe_url }}">退订</a></p>',
  text: "{{ name }}，您好：本月动态见 https://news.example.cn/blog/12 退订：{{ unsubscribe_url }}",
};
/** A PDF of 3 MB: more than the 2 MB the check allows attachments in all. */
const BIG_PDF = Buffer.concat([Buffer.from("%PDF-1.4\n"), Buffer.alloc(3 * 1024 * 1024, 0x20), Buffer.from("\n%%EOF\n")]);
/** The provider with its children given as createElement's third argument. */
const Provider = I18nProvider as (props: { locale: "en" | "zh-CN"; children?: ReactNode }) => ReactNode;
const posted = (fields: Record<string, string>) => {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  return data;
};

describeOnDatabases("content check of stored versions", (db) => {
  let setup: SendingSetup;
  let spamId: string;

  beforeAll(async () => {
    setup = await makeSendingSetup(db(), { count: 3 });
    const attachment = await storeAttachment(setup.ctx, setup.departmentId, "宣传册.pdf", BIG_PDF);
    spamId = (await createTemplate(setup.ctx, { name: unique("spam"), departmentId: setup.departmentId, ...SPAM, attachmentIds: [attachment.id] })).id;
  });

  it("checks the current version with its attachments, and each saved version as it was", async () => {
    const spam = await checkTemplateVersion(setup.ctx, spamId);
    expect(spam).toMatchObject({ templateId: spamId, version: 1, level: "high", score: 100 });
    expect(spam.findings.find((found) => found.rule === "attachments_large")).toMatchObject({ params: { megabytes: 3, count: 1 }, found: ["宣传册.pdf"] });
    expect(spam.findings.map((found) => found.rule)).toEqual(expect.arrayContaining(["subject_phrases", "subject_exclamations", "image_only", "url_shortener", "link_domain_mismatch", "unsubscribe_missing"]));

    await saveTemplateVersion(setup.ctx, spamId, { name: unique("cleaned"), ...CLEAN, attachmentIds: [] });
    expect(await checkTemplateVersion(setup.ctx, spamId)).toMatchObject({ version: 2, level: "low", score: 0, findings: [] });
    expect(await checkTemplateVersion(setup.ctx, spamId, { version: 1 })).toMatchObject({ version: 1, level: "high" });
    await saveTemplateVersion(setup.ctx, spamId, { name: unique("spam-again"), ...SPAM, attachmentIds: [] });
  });

  it("shows the check only within the caller's department", async () => {
    const other = await makeDepartment(db());
    const stranger = await makeUser(db(), "department", { departmentId: other.id });
    const ctx: Ctx = { db: db(), actor: actorFor(stranger, "department", other.id) };
    expect((await rejection(checkTemplateVersion(ctx, spamId), AppError)).code).toBe("not_found");
    expect((await rejection(checkTemplateVersion(setup.ctx, "not-a-uuid"), AppError)).code).toBe("not_found");
  });

  it("gives the send confirmation the check of the version the task will send, through the console action", async () => {
    const admin = await makeUser(db(), "admin");
    await serveAs(admin);
    const { reviewTask } = await import("@/app/(console)/tasks/actions");
    const form = { departmentId: setup.departmentId, name: unique("task"), templateId: spamId, audience: "pools", poolIds: setup.poolId, senderId: setup.senderId, amount: "all", when: "later", scheduledAt: "2099-01-01T08:00" };
    const reviewed = await reviewTask(posted(form));
    expect(reviewed.ok).toBe(true);
    if (!reviewed.ok) return;
    expect(reviewed.data.template.version).toBe(3);
    expect(reviewed.data.contentCheck).toMatchObject({ templateId: spamId, version: 3, level: "high" });
    expect(reviewed.data.contentCheck!.findings[0]!.points).toBeGreaterThanOrEqual(reviewed.data.contentCheck!.findings.at(-1)!.points);

    const clean = await reviewTask(posted({ ...form, templateId: setup.templateId }));
    expect(clean.ok && clean.data.contentCheck).toMatchObject({ templateId: setup.templateId, level: "low" });
  });

  it("renders the findings in the reader's language with links to the fields, and user text only as text", async () => {
    const hostile = "<img src=x onerror=alert(1)>.pdf";
    const attachment = await storeAttachment(setup.ctx, setup.departmentId, hostile, BIG_PDF);
    const id = (await createTemplate(setup.ctx, { name: unique("hostile"), departmentId: setup.departmentId, ...SPAM, attachmentIds: [attachment.id] })).id;
    const check = await checkTemplateVersion(setup.ctx, id);
    const render = (locale: "en" | "zh-CN", linkBase: string, limit?: number) =>
      renderToStaticMarkup(createElement(Provider, { locale }, createElement(ContentCheckPanel, { check, linkBase, limit, newTab: linkBase !== "" })));

    const editor = render("zh-CN", "");
    expect(editor).toContain('data-level="high"');
    expect(editor).toContain("垃圾邮件风险：高");
    expect(editor).toContain("没有退订链接");
    expect(editor).toContain('href="#subject"');
    expect(editor).toContain('href="#unsubscribe-help"');
    expect(editor).toContain('id="unsubscribe-help"');
    expect(editor).toContain("“&lt;img src=x onerror=alert(1)&gt;.pdf”");
    expect(editor).not.toContain("<img src=x");

    const confirm = render("en", `/templates/${id}`, 3);
    expect(confirm.match(/data-testid="content-finding"/g)).toHaveLength(3);
    expect(confirm).toContain(`href="/templates/${id}#html" target="_blank"`);
    expect(confirm).toContain(`href="/templates/${id}#content-check"`);
    expect(confirm).toContain(`${check.findings.length - 3} more in the template editor`);
    expect(confirm).not.toContain('id="unsubscribe-help"');
  });

  it("scores the draft as typed in the editor's live preview, without saving it", async () => {
    const admin = await makeUser(db(), "admin");
    const token = await serveAs(admin);
    const { POST: preview } = await import("@/app/(console)/templates/preview/route");
    const draft = async (content: { subject: string; html: string; text?: string }) => {
      const response = await preview(
        new Request("http://fanout.test/templates/preview", {
          method: "POST",
          body: JSON.stringify({ ...content, departmentId: setup.departmentId }),
          headers: { cookie: `next-auth.session-token=${token}`, "content-type": "application/json", origin: "http://fanout.test" },
        }),
        { params: Promise.resolve({}) },
      );
      expect(response.status).toBe(200);
      return ((await response.json()) as { check: { score: number; level: string } }).check;
    };
    expect(await draft(SPAM)).toEqual({ score: 100, level: "high" });
    expect(await draft(CLEAN)).toEqual({ score: 0, level: "low" });
  });
});
