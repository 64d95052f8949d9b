import { eq } from "drizzle-orm";
import { renderToStaticMarkup } from "react-dom/server";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import TaskPage from "@/app/(console)/tasks/[id]/page";
import EditTaskPage from "@/app/(console)/tasks/[id]/edit/page";
import TaskReportPage from "@/app/(console)/tasks/[id]/report/page";
import { deliveries } from "@/db/schema";
import { recordReply } from "@/lib/feedback/replies";
import { describeRefusal } from "@/lib/i18n/describe";
import { reasonsZh } from "@/lib/i18n/reasons-zh";
import { REPLIES_PAGE_SIZE } from "@/lib/sending/task-replies";
import { createTask, getTask } from "@/lib/sending/tasks";
import { describeOnDatabases } from "../helpers/db";
import { makeUser, unique } from "../helpers/factories";
import { headers, serveAs } from "../helpers/next-headers";
import { makeSendingSetup, sendAllDue, taskInput, type SendingSetup } from "../helpers/sending";
import { renderAll } from "../helpers/render";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

vi.mock("next/headers", () => import("../helpers/next-headers"));
// The pages' client parts (progress bar, action forms) ask for the router; rendered outside Next there is none to mount.
vi.mock("next/navigation", async (importOriginal) => ({ ...(await importOriginal<object>()), useRouter: () => ({ refresh() {}, push() {}, replace() {} }) }));

/**
 * Issue 19 in the console: the task form's "collect replies" box and forward address reach the task
 * through the server action (a bad address refused beside its field), and the task page of a task
 * that collects replies shows its Replies card — count, rate, each reply's sender, subject and the
 * start of its text as text — in Chinese, to a department user and to a manager alike.
 */


/** A reply as a mail client writes it: UTF-8 subject (RFC 2047) and a Chinese body in base64. */
function replyMessage(options: { from: string; subject: string; text: string; messageId: string; headers?: string[] }) {
  const subject = `=?UTF-8?B?${Buffer.from(options.subject, "utf8").toString("base64")}?=`;
  const body = Buffer.from(options.text, "utf8").toString("base64").replace(/.{76}/g, "$&\r\n");
  return Buffer.from(
    [
      `From: ${options.from}`,
      "To: reply@fanout.test",
      `Subject: ${subject}`,
      `Message-ID: ${options.messageId}`,
      "Date: Mon, 06 Apr 2026 09:30:00 +0800",
      ...(options.headers ?? []),
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: base64",
      "",
      body,
      "",
    ].join("\r\n"),
  );
}

/** The task form as the browser posts it. */
const posted = (fields: Record<string, string>) => {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  return data;
};

let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink.close();
});

describeOnDatabases("replies in the console", (db) => {
  const page = async (taskId: string, query: Record<string, string> = {}) => renderAll(await TaskPage({ params: Promise.resolve({ id: taskId }), searchParams: Promise.resolve(query) }));
  const inChinese = async () => (await headers()).set("accept-language", "zh-CN,zh;q=0.9");
  const deliveryOf = async (taskId: string, email: string) => {
    const rows = await db().select({ id: deliveries.id, email: deliveries.email }).from(deliveries).where(eq(deliveries.taskId, taskId));
    return rows.find((row) => row.email === email)!.id;
  };

  it("shows a task's replies in Chinese: count, rate, who, subject and the start of the text as text; automatic answers on asking; the same to a manager", { timeout: 60_000 }, async () => {
    const setup = await makeSendingSetup(db(), { count: 3 });
    const task = await createTask(setup.ctx, taskInput(setup, { replyTracking: true, replyForwardTo: "sales@corp.example" }));
    const plain = await createTask(setup.ctx, taskInput(setup));
    await sendAllDue(db(), sink.url);
    expect(await getTask(setup.ctx, task.id)).toMatchObject({ sent: 3, replyTracking: true });

    const [person, away] = setup.emails;
    const replied = await recordReply(
      db(),
      await deliveryOf(task.id, person!),
      replyMessage({ from: person!, subject: "Re: 春季新品发布会", text: "是的，我们想订 <b>40</b> 份。请报价。\n\n> Dear Person 0", messageId: "<console-reply-1@example.net>" }),
    );
    expect(replied).toMatchObject({ outcome: "replied" });
    const automatic = await recordReply(
      db(),
      await deliveryOf(task.id, away!),
      replyMessage({ from: away!, subject: "自动回复: 春季新品发布会", text: "我休假到周一。", messageId: "<console-auto-1@example.net>", headers: ["Auto-Submitted: auto-replied"] }),
    );
    expect(automatic).toMatchObject({ outcome: "auto_reply" });

    await serveAs(await makeUser(db(), "department", { departmentId: setup.departmentId }));
    await inChinese();
    const html = await page(task.id);
    expect(html).toContain('data-testid="replies-card"');
    expect(html).toMatch(/<h2[^>]*>回复<\/h2>/);
    expect(html).toContain('data-testid="replies-count">1<');
    expect(html).toContain('data-testid="replies-rate">33.3%<');
    expect(html).toContain('data-testid="replies-automatic">1<');
    expect(html).toContain("已发送 3 封，其中 1 封收到本人回复");
    expect(html).toContain("每条本人回复都会转发到 sales@corp.example。");
    expect(html).toContain(`data-testid="task-detail-replies">收集回复，并转发到 sales@corp.example<`);
    // The person's reply, linked to its delivery; its text escaped, never markup.
    const personDelivery = await deliveryOf(task.id, person!);
    expect(html).toContain(`href="/logs/deliveries/${personDelivery}"`);
    expect(html).toMatch(new RegExp(`data-testid="reply-email"[^>]*>${person!.replace(/[.+]/g, "\\$&")}<`));
    expect(html).toContain('data-testid="reply-subject">Re: 春季新品发布会<');
    expect(html).toContain("是的，我们想订 &lt;b&gt;40&lt;/b&gt; 份。请报价。");
    expect(html).not.toContain("<b>40</b>");
    // Automatic answers are counted but listed only on asking.
    expect(html).not.toContain("我休假到周一");
    expect(html).toContain("包含自动回复");
    expect(html).toContain(`href="/tasks/${task.id}?autoReplies=1#replies"`);
    const withAutomatic = await page(task.id, { autoReplies: "1" });
    expect(withAutomatic).toContain("我休假到周一");
    expect(withAutomatic).toContain('data-type="auto_reply"');
    expect(withAutomatic).toContain("只看本人回复");
    expect(withAutomatic.indexOf("我休假到周一")).toBeLessThan(withAutomatic.indexOf("是的，我们想订"));

    // A task that does not collect replies has no card and no settings line.
    const other = await page(plain.id);
    expect(other).toContain('data-testid="task-details"');
    expect(other).not.toContain('data-testid="replies-card"');
    expect(other).not.toContain('data-testid="task-detail-replies"');

    // A manager of the department reads the same card.
    await serveAs(await makeUser(db(), "manager", { managed: [setup.departmentId] }));
    await inChinese();
    const managed = await page(task.id);
    expect(managed).toContain('data-testid="replies-count">1<');
    expect(managed).toContain('data-testid="reply-subject">Re: 春季新品发布会<');
    // …and the task's report page (what managers read) carries the replies beside the funnel; a task without collection does not.
    const report = async (id: string) => renderAll(await TaskReportPage({ params: Promise.resolve({ id }) }));
    expect(await report(task.id)).toMatch(/data-testid="task-report-replies">收到回复：1（占发送量 33(\.3)?%）；自动回复：1</);
    expect(await report(plain.id)).not.toContain("task-report-replies");
  });

  it("lists replies a page at a time under ?replies=, keeping the delivery log's filters", { timeout: 60_000 }, async () => {
    const setup = await makeSendingSetup(db(), { count: REPLIES_PAGE_SIZE + 1 });
    const task = await createTask(setup.ctx, taskInput(setup, { replyTracking: true }));
    await sendAllDue(db(), sink.url);
    for (const [index, email] of setup.emails.entries()) {
      const outcome = await recordReply(db(), await deliveryOf(task.id, email), replyMessage({ from: email, subject: `Re: 第 ${index} 封`, text: `回复 ${index}`, messageId: `<page-${index}@example.net>` }));
      expect(outcome).toMatchObject({ outcome: "replied" });
    }
    await serveAs(await makeUser(db(), "department", { departmentId: setup.departmentId }));
    const first = await page(task.id, { status: "sent" });
    expect(first).toContain(`data-testid="replies-count">${REPLIES_PAGE_SIZE + 1}<`);
    expect(first.match(/data-testid="reply"/g)).toHaveLength(REPLIES_PAGE_SIZE);
    expect(first).toContain(`href="/tasks/${task.id}?status=sent&amp;replies=2#replies"`);
    const second = await page(task.id, { status: "sent", replies: "2" });
    expect(second.match(/data-testid="reply"/g)).toHaveLength(1);
    expect(second).toContain(`href="/tasks/${task.id}?status=sent#replies"`);
  });

  it("takes the form's box and forward address through the console action, refuses a bad address on its field, and offers them again on edit", async () => {
    const setup: SendingSetup = await makeSendingSetup(db(), { count: 2 });
    await serveAs(await makeUser(db(), "department", { departmentId: setup.departmentId }));
    const { createTask: createAction } = await import("@/app/(console)/tasks/actions");
    const form = { departmentId: setup.departmentId, name: unique("replies"), templateId: setup.templateId, audience: "pools", poolIds: setup.poolId, senderId: setup.senderId, when: "later", scheduledAt: "2099-01-01T08:00" };

    const created = await createAction(posted({ ...form, replyTracking: "on", replyForwardTo: " Sales@Corp.example " }));
    expect(created.ok).toBe(true);
    const id = created.ok ? created.data.id : "";
    expect(await getTask(setup.ctx, id)).toMatchObject({ replyTracking: true, replyForwardTo: "sales@corp.example" });

    const ticked = await createAction(posted({ ...form, name: unique("replies"), replyTracking: "on" }));
    expect(ticked.ok && (await getTask(setup.ctx, ticked.data.id))).toMatchObject({ replyTracking: true, replyForwardTo: null });
    const unticked = await createAction(posted({ ...form, name: unique("replies") }));
    expect(unticked.ok && (await getTask(setup.ctx, unticked.data.id))).toMatchObject({ replyTracking: false, replyForwardTo: null });

    const refused = await createAction(posted({ ...form, name: unique("replies"), replyTracking: "on", replyForwardTo: "not an address" }));
    expect(refused.ok).toBe(false);
    const fieldError = !refused.ok ? refused.error.fieldErrors?.replyForwardTo : undefined;
    expect(fieldError).toBeDefined();
    expect(describeRefusal(reasonsZh, fieldError!)).not.toBe("");

    // Editing the scheduled task shows the box ticked and the address as saved.
    const edit = renderToStaticMarkup(await EditTaskPage({ params: Promise.resolve({ id }) }));
    expect(edit).toMatch(/<input[^>]*name="replyTracking"[^>]*checked=""/);
    expect(edit).toMatch(/<input[^>]*name="replyForwardTo"[^>]*value="sales@corp.example"/);
  });
});
