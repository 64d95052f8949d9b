import crypto from "node:crypto";
import { InngestTestEngine } from "@inngest/test";
import { dkimVerify } from "mailauth/lib/dkim/verify";
import { eq, sql } from "drizzle-orm";
import type { InngestFunction } from "inngest";
import { simpleParser, type ParsedMail } from "mailparser";
import { renderToStaticMarkup } from "react-dom/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import DeliveryLogPage from "@/app/(console)/logs/deliveries/page";
import TaskPage from "@/app/(console)/tasks/[id]/page";
import EditTaskPage from "@/app/(console)/tasks/[id]/edit/page";
import NewTaskPage from "@/app/(console)/tasks/new/page";
import TasksPage from "@/app/(console)/tasks/page";
import { GET as clickRoute } from "@/app/t/c/[token]/route";
import { POST as oneClickPost } from "@/app/u/[token]/one-click/route";
import { queryRows } from "@/db/client";
import { deliveries, departments, senderDomains, smtpAccounts, suppressions, tasks } from "@/db/schema";
import { TASK_EVENTS } from "@/inngest/events";
import { createFunctions } from "@/inngest/functions";
import { AppError } from "@/lib/errors";
import { exportDeliveries } from "@/lib/reports/delivery-export";
import { searchDeliveries } from "@/lib/reports/delivery-log";
import { LocalRunner } from "@/lib/sending/runner";
import { parseSubmittedMessage } from "@/lib/sending/submitted";
import { taskDetail } from "@/lib/sending/task-pages";
import { cancelTask, getTask, updateTask } from "@/lib/sending/tasks";
import { listTasks } from "@/lib/sending/task-pages";
import { RateLimiter } from "@/lib/sending/throttle";
import { parseFeedbackAddress } from "@/lib/tokens/delivery-addresses";
import { createSmtpTransport, type Transport } from "@/lib/transports";
import { describeOnDatabases } from "../helpers/db";
import { makeUser, unique } from "../helpers/factories";
import { serveAs } from "../helpers/next-headers";
import { rejection } from "../helpers/rejection";
import { makeSendingSetup, testSendingConfig } from "../helpers/sending";
import { renderAll } from "../helpers/render";
import { startSmtpSink, type SinkMessage, type SmtpSink } from "../helpers/smtp-sink";
import { composeMessage, makeSmtpAccount, writeSmtpSubmission } from "../helpers/smtp-task";

vi.mock("next/headers", () => import("../helpers/next-headers"));
// The pages' client parts (progress bar, action forms) ask for the router; rendered outside Next there is none to mount.
vi.mock("next/navigation", async (importOriginal) => ({ ...(await importOriginal<object>()), useRouter: () => ({ refresh() {}, push() {}, replace() {} }) }));


/** A 1×1 PNG, and a PDF whose body is random bytes (any change in transit shows). */
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
const PDF = Buffer.concat([Buffer.from("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "latin1"), crypto.randomBytes(4096), Buffer.from("\n%%EOF\n")]);
const SUBJECT = "春季新品发布会邀请 {{ name }}";
const CLIENT_IP = "203.0.113.7";

/** What a group-send client submits: text and HTML alternatives, an inline logo the HTML shows by cid, a PDF, To/Cc/Bcc of its own. */
function clientMessage(senderAddress: string) {
  return composeMessage(
    {
      from: { name: "市场部 张三", address: senderAddress },
      to: "all-customers@client.test",
      cc: "boss@client.test",
      replyTo: { name: "销售 热线", address: "sales@client.test" },
      subject: SUBJECT,
      text: "您好 {{ name }}，\n详情见 https://example.com/offer\n",
      html: '<html><body><p>您好 {{ name }}，</p><p><a href="https://example.com/offer">查看详情</a></p><p><img src="cid:logo@client" alt="logo"></p></body></html>',
      attachments: [
        { filename: "logo.png", content: PNG, contentType: "image/png", cid: "logo@client" },
        { filename: "报价单.pdf", content: PDF, contentType: "application/pdf" },
      ],
    },
    ["Bcc: hidden-boss@secret.test"],
  );
}

describeOnDatabases("smtp tasks in the send engine", (db) => {
  let sink: SmtpSink;
  let transport: Transport;
  beforeAll(async () => {
    sink = await startSmtpSink();
    transport = createSmtpTransport({ url: sink.url });
  });
  afterAll(async () => {
    await transport?.close();
    await sink?.close();
  });

  async function drain() {
    const engine = new LocalRunner(db(), { transport, config: testSendingConfig(), log: () => undefined });
    try {
      await engine.drain();
    } finally {
      await engine.stop();
    }
  }

  /** A department with a verified, DKIM-keyed sender domain and an SMTP account. */
  async function setupWithAccount(options: { tracking?: boolean; quota?: number } = {}) {
    const setup = await makeSendingSetup(db(), { count: 0, quota: options.quota ?? 100 });
    const account = await makeSmtpAccount(db(), setup.departmentId, { tracking: options.tracking });
    const [sender] = await queryRows<{ address: string; domain: string }>(db(), sql`select s.address, sd.domain from senders s join sender_domains sd on sd.id = s.domain_id where s.id = ${setup.senderId}`);
    return { setup, account, senderAddress: sender!.address, domain: sender!.domain };
  }

  const recipientsOf = (tag: string) => ["ann", "bob", "cho", "blocked"].map((name) => `${name}@${tag}.recipients.test`);
  const receivedFor = (tag: string) => sink.messages.filter((message) => message.envelope.rcptTo[0]!.endsWith(`@${tag}.recipients.test`));
  /** A header line as received, unfolded. */
  const header = (mail: ParsedMail, name: string) => (mail.headerLines.find((line) => line.key === name)?.line ?? "").replace(/\r?\n[ \t]+/g, " ");

  async function submitted(options: { tracking?: boolean } = {}) {
    const { setup, account, senderAddress, domain } = await setupWithAccount(options);
    const tag = unique("r").toLowerCase();
    const recipients = recipientsOf(tag);
    await db().insert(suppressions).values({ departmentId: setup.departmentId, email: recipients[3]!, reason: "unsubscribed" });
    const raw = await clientMessage(senderAddress);
    const taskId = await writeSmtpSubmission(db(), { account, senderId: setup.senderId, raw, recipients, clientIp: CLIENT_IP, envelopeFrom: senderAddress, batchSize: 2 });
    return { setup, account, senderAddress, domain, tag, recipients, raw, taskId };
  }

  it("sends the client's message once per recipient, tracked, with its inline image, attachment, VERP, List-Unsubscribe and DKIM", async () => {
    const run = await submitted();
    await drain();

    const received = receivedFor(run.tag);
    expect(received.map((message) => message.envelope.rcptTo)).toEqual(expect.arrayContaining(run.recipients.slice(0, 3).map((address) => [address])));
    expect(received).toHaveLength(3); // the suppressed recipient is not sent
    const rows = await db().select().from(deliveries).where(eq(deliveries.taskId, run.taskId));
    // The domain's DKIM key as DNS would publish it, for verifying the signatures.
    const [key] = await db().select({ selector: senderDomains.dkimSelector, publicKey: senderDomains.dkimPublicKey }).from(senderDomains).where(eq(senderDomains.domain, run.domain));
    const resolver = async (name: string, type: string) => {
      if (type === "TXT" && name === `${key!.selector}._domainkey.${run.domain}`) return [[`v=DKIM1; k=rsa; p=${key!.publicKey}`]];
      throw Object.assign(new Error(`no ${type} record for ${name}`), { code: "ENOTFOUND" });
    };
    for (const message of received) {
      const recipient = message.envelope.rcptTo[0]!;
      const delivery = rows.find((row) => row.email === recipient)!;
      // As a mail client reads it, cid: links left as they are (mailparser would inline them as data: URLs).
      const mail = await simpleParser(message.raw, { keepCidLinks: true });
      const raw = message.raw.toString("latin1");
      // One message per recipient: To is that recipient alone; the client's To, Cc and Bcc stay behind.
      expect(mail.to).toMatchObject({ value: [{ address: recipient }] });
      expect(mail.cc).toBeUndefined();
      expect(raw).not.toMatch(/^Bcc:/im);
      for (const hidden of ["hidden-boss@secret.test", "all-customers@client.test", "boss@client.test"]) expect(raw).not.toContain(hidden);
      expect(mail.subject).toBe(SUBJECT);
      expect(mail.from?.value).toEqual([{ name: "市场部 张三", address: run.senderAddress }]);
      expect(mail.replyTo?.value).toEqual([{ name: "销售 热线", address: "sales@client.test" }]);
      // VERP: the envelope sender is this delivery's own return path.
      expect(parseFeedbackAddress(message.envelope.mailFrom)).toEqual({ purpose: "bounce", deliveryId: delivery.id });
      expect(mail.messageId).toBe(`<${run.taskId}.${delivery.id}@${run.domain}>`);
      expect(header(mail, "x-fanout-delivery")).toBe(`X-Fanout-Delivery: ${delivery.id}`);
      expect(header(mail, "list-unsubscribe")).toMatch(/<https?:\/\/[^>]+\/u\/[^>]+\/one-click>, <mailto:unsubscribe\+/);
      expect(header(mail, "list-unsubscribe-post")).toBe("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
      const dkim = await dkimVerify(message.raw, { resolver });
      expect(dkim.results.map((result) => [result.signingDomain, result.status.result])).toEqual([[run.domain, "pass"]]);
      // Tracked HTML: the link goes through its click URL and the pixel is there; the text keeps its link; no Liquid anywhere.
      const html = String(mail.html);
      expect(html).not.toContain('href="https://example.com/offer"');
      expect(html).toMatch(/href="https?:\/\/[^"]+\/t\/c\/[^"]+"/);
      expect(html).toMatch(/<img src="https?:\/\/[^"]+\/t\/o\/[^"]+" width="1" height="1"/);
      expect(html).toContain("您好 {{ name }}");
      expect(mail.text).toContain("您好 {{ name }}");
      expect(mail.text).toContain("https://example.com/offer");
      // The logo is still inline, referenced by its cid; the PDF arrives byte for byte.
      expect(html).toContain('src="cid:logo@client"');
      const logo = mail.attachments.find((attachment) => attachment.cid === "logo@client");
      expect(logo).toMatchObject({ related: true, contentType: "image/png" });
      expect(logo!.content.equals(PNG)).toBe(true);
      const pdf = mail.attachments.find((attachment) => attachment.filename === "报价单.pdf");
      expect(pdf).toMatchObject({ contentType: "application/pdf" });
      expect(pdf!.content.equals(PDF)).toBe(true);
      expect(mail.attachments).toHaveLength(2);
    }

    expect(await getTask(run.setup.ctx, run.taskId)).toMatchObject({ kind: "smtp", status: "completed", total: 4, queued: 0, sent: 3, failed: 0, suppressed: 1, reserved: 0, templateId: null });
    expect(rows.find((row) => row.email === run.recipients[3])).toMatchObject({ status: "suppressed", sentAt: null });
    const [department] = await db().select().from(departments).where(eq(departments.id, run.setup.departmentId));
    expect(department).toMatchObject({ quotaUsed: 3, quotaReserved: 0 });
    // 群发统计 groups by the client's IP: the rollups carry the submission's.
    const rollups = await queryRows<{ client_ip: string; sent: number }>(db(), sql`select client_ip, sent from delivery_daily_sender where department_id = ${run.setup.departmentId}`);
    expect(rollups).toEqual([{ client_ip: CLIENT_IP, sent: 3 }]);
    const byDomain = await queryRows<{ client_ip: string; sent: number }>(db(), sql`select client_ip, sum(sent)::int as sent from delivery_daily where department_id = ${run.setup.departmentId} group by client_ip`);
    expect(byDomain).toEqual([{ client_ip: CLIENT_IP, sent: 3 }]);

    // What comes back works for a delivery without a contact: a click and a one-click unsubscribe, counted under the same IP.
    // (Sent a minute ago: a click within seconds of sending is taken for a link scanner's.)
    await db().update(deliveries).set({ sentAt: new Date(Date.now() - 60_000) }).where(eq(deliveries.taskId, run.taskId));
    const first = await simpleParser(received[0]!.raw, { keepCidLinks: true });
    const click = /href="(https?:\/\/[^"]+\/t\/c\/([^"]+))"/.exec(String(first.html))!;
    const clicked = await clickRoute(new Request(click[1]!, { headers: { "x-fanout-peer": "192.0.2.50", "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36" } }), { params: Promise.resolve({ token: click[2]! }) });
    expect([clicked.status, clicked.headers.get("location")]).toEqual([302, "https://example.com/offer"]);
    const oneClick = /<(https?:\/\/[^>]+\/u\/([^>/]+)\/one-click)>/.exec(header(first, "list-unsubscribe"))!;
    const posted = await oneClickPost(
      new Request(oneClick[1]!, { method: "POST", body: "List-Unsubscribe=One-Click", headers: { "content-type": "application/x-www-form-urlencoded", "x-fanout-peer": "192.0.2.51" } }),
      { params: Promise.resolve({ token: oneClick[2]! }) },
    );
    expect(posted.status).toBe(200);
    const recipient = received[0]!.envelope.rcptTo[0]!;
    expect(await db().select().from(suppressions).where(eq(suppressions.email, recipient))).toMatchObject([{ departmentId: run.setup.departmentId, reason: "unsubscribed" }]);
    expect(await getTask(run.setup.ctx, run.taskId)).toMatchObject({ clicked: 1, unsubscribed: 1 });
    const feedback = await queryRows<{ client_ip: string; clicked: number; unsubscribed: number }>(db(), sql`select client_ip, clicked, unsubscribed from delivery_daily_sender where department_id = ${run.setup.departmentId}`);
    expect(feedback).toEqual([{ client_ip: CLIENT_IP, clicked: 1, unsubscribed: 1 }]);
  });

  it("leaves links and HTML untouched when the account's tracking is off", async () => {
    const run = await submitted({ tracking: false });
    await drain();
    const received = receivedFor(run.tag);
    expect(received).toHaveLength(3);
    for (const message of received) {
      const mail = await message.parse();
      expect(String(mail.html)).toContain('href="https://example.com/offer"');
      expect(String(mail.html)).not.toMatch(/\/t\/[oc]\//);
      expect(header(mail, "list-unsubscribe")).toContain("mailto:unsubscribe+");
    }
    expect(await getTask(run.setup.ctx, run.taskId)).toMatchObject({ status: "completed", sent: 3, suppressed: 1 });
  });

  it("sends a text-only message as text alone, with no pixel", async () => {
    const { setup, account, senderAddress } = await setupWithAccount();
    const tag = unique("r").toLowerCase();
    const raw = await composeMessage({ from: senderAddress, to: "list@client.test", subject: "Plain {{ name }}", text: "Just text, {{ name }}: https://example.com/plain\n" });
    const taskId = await writeSmtpSubmission(db(), { account, senderId: setup.senderId, raw, recipients: [`dee@${tag}.recipients.test`] });
    await drain();
    const [message] = receivedFor(tag);
    const mail = await message!.parse();
    expect(mail.html).toBe(false);
    expect(message!.raw.toString("latin1")).not.toMatch(/text\/html|\/t\/o\//);
    expect(mail.text).toBe("Just text, {{ name }}: https://example.com/plain\n");
    expect(mail.subject).toBe("Plain {{ name }}");
    // No display name in the client's From: the sender's own name, as for a console task.
    expect(mail.from?.value[0]).toMatchObject({ address: senderAddress, name: "Fanout News" });
    expect(await getTask(setup.ctx, taskId)).toMatchObject({ status: "completed", sent: 1 });
  });

  it("shows the client's IP in the delivery log and its CSV, and the account, IP, envelope and size on the task", async () => {
    const run = await submitted();
    await drain();
    const page = await searchDeliveries(run.setup.ctx, { taskId: run.taskId });
    expect(page.rows).toHaveLength(4);
    for (const row of page.rows) expect(row.clientIp).toBe(CLIENT_IP);
    const lines: string[] = [];
    for await (const chunk of await exportDeliveries(run.setup.ctx, { taskId: run.taskId }, { timeZone: "Asia/Shanghai" })) lines.push(chunk);
    const csv = lines.join("").trim().split("\r\n");
    expect(csv[0]).toMatch(/,client_ip,channel,number$/);
    expect(csv.slice(1)).toHaveLength(4);
    for (const line of csv.slice(1)) expect(line.endsWith(`,${CLIENT_IP},email,`)).toBe(true);

    const detail = await taskDetail(run.setup.ctx, run.taskId);
    expect(detail.submission).toEqual({ accountName: run.account.username, clientIp: CLIENT_IP, envelopeFrom: run.senderAddress, size: run.raw.byteLength });
    const listed = async () => (await listTasks(run.setup.ctx, { pageSize: 100 })).tasks.find((task) => task.id === run.taskId);
    expect(await listed()).toMatchObject({ kind: "smtp", smtpUsername: run.account.username, templateName: null });
    await db().delete(smtpAccounts).where(eq(smtpAccounts.id, run.account.id));
    expect(await listed()).toMatchObject({ kind: "smtp", smtpUsername: null });
    expect((await taskDetail(run.setup.ctx, run.taskId)).submission).toMatchObject({ accountName: null, clientIp: CLIENT_IP });
  });

  it("shows smtp tasks in the console: kind and account in the list, account, IP, envelope and size on the task, no edit or duplicate, the IP in the delivery log", async () => {
    const run = await submitted();
    await drain();
    await serveAs(await makeUser(db(), "department", { departmentId: run.setup.departmentId }));
    const list = renderToStaticMarkup(await TasksPage({ searchParams: Promise.resolve({}) }));
    const row = list.slice(list.indexOf(`href="/tasks/${run.taskId}"`));
    expect(row.slice(0, row.indexOf("</tr>"))).toMatch(/data-testid="task-kind-smtp".*SMTP.*data-testid="task-smtp-account">[^<]*<\/span>/s);
    expect(row.slice(0, row.indexOf("</tr>"))).toContain(`>${run.account.username}</span>`);

    const page = await renderAll(await TaskPage({ params: Promise.resolve({ id: run.taskId }), searchParams: Promise.resolve({}) }));
    expect(page).toContain(`data-testid="task-detail-smtp-account">${run.account.username}<`);
    expect(page).toContain(`data-testid="task-detail-client-ip">${CLIENT_IP}<`);
    expect(page).toContain(`data-testid="task-detail-envelope-from">${run.senderAddress}<`);
    expect(page).toMatch(/data-testid="task-detail-message-size">[\d.,]+ KB</);
    expect(page).not.toContain('data-testid="task-detail-template"');
    expect(page).not.toContain('data-testid="task-detail-pools"');
    expect(page).not.toContain('data-testid="task-duplicate"');
    expect(page).not.toContain('data-testid="task-edit"');

    const edit = renderToStaticMarkup(await EditTaskPage({ params: Promise.resolve({ id: run.taskId }) }));
    expect(edit).toMatch(/data-testid="task-not-editable">[^<]*SMTP entrance/);
    expect(edit).not.toContain('name="templateId"');
    const copy = renderToStaticMarkup(await NewTaskPage({ searchParams: Promise.resolve({ from: run.taskId }) }));
    expect(copy).toContain('data-testid="task-not-copyable"');
    expect(copy).not.toContain(run.account.username);

    const log = renderToStaticMarkup(await DeliveryLogPage({ searchParams: Promise.resolve({ taskId: run.taskId }) }));
    expect(log.match(/data-testid="delivery-log-ip"[^>]*>203\.0\.113\.7</g)).toHaveLength(4);
  });

  it("refuses to edit an smtp task (409) and cancels it, giving back its quota", async () => {
    const { setup, account, senderAddress } = await setupWithAccount({ quota: 10 });
    const tag = unique("r").toLowerCase();
    const raw = await composeMessage({ from: senderAddress, subject: "Later", html: "<p>Hi</p>" });
    const taskId = await writeSmtpSubmission(db(), { account, senderId: setup.senderId, raw, recipients: [`a@${tag}.recipients.test`, `b@${tag}.recipients.test`] });
    const edit = await rejection(updateTask(setup.ctx, taskId, { name: "Changed", templateId: setup.templateId, poolIds: [setup.poolId], senderId: setup.senderId }), AppError);
    expect(edit.code).toBe("conflict");
    expect(edit.message).toMatch(/SMTP entrance; it cannot be edited/);
    expect(await getTask(setup.ctx, taskId)).toMatchObject({ name: "Later", status: "scheduled", templateId: null });
    const [held] = await db().select().from(departments).where(eq(departments.id, setup.departmentId));
    expect(held!.quotaReserved).toBe(2);
    expect(await cancelTask(setup.ctx, taskId)).toMatchObject({ status: "cancelled", cancelled: 2, queued: 0, reserved: 0 });
    const [after] = await db().select().from(departments).where(eq(departments.id, setup.departmentId));
    expect(after).toMatchObject({ quotaReserved: 0, quotaUsed: 0 });
    await drain();
    expect(receivedFor(tag)).toHaveLength(0);
  });

  it("completes at start a task whose every recipient was suppressed", async () => {
    const { setup, account, senderAddress } = await setupWithAccount();
    const blocked = `gone@${unique("r").toLowerCase()}.recipients.test`;
    await db().insert(suppressions).values({ departmentId: setup.departmentId, email: blocked, reason: "hard_bounce" });
    const raw = await composeMessage({ from: senderAddress, subject: "Nobody", text: "x" });
    const taskId = await writeSmtpSubmission(db(), { account, senderId: setup.senderId, raw, recipients: [blocked] });
    const { startTask } = await import("@/lib/sending/materialize");
    expect(await startTask(db(), taskId)).toBe(true);
    expect(await getTask(setup.ctx, taskId)).toMatchObject({ status: "completed", total: 1, suppressed: 1, sent: 0, reserved: 0 });
  });

  it("fails a task whose submitted message is gone instead of retrying it", async () => {
    const { setup, account, senderAddress } = await setupWithAccount();
    const tag = unique("r").toLowerCase();
    const raw = await composeMessage({ from: senderAddress, subject: "Lost", text: "x" });
    const taskId = await writeSmtpSubmission(db(), { account, senderId: setup.senderId, raw, recipients: [`a@${tag}.recipients.test`] });
    await db().execute(sql`delete from smtp_submissions where task_id = ${taskId}`);
    await drain();
    expect(await getTask(setup.ctx, taskId)).toMatchObject({ status: "failed", sent: 0, cancelled: 1, reserved: 0, note: expect.stringMatching(/has no submitted message/) });
    expect(receivedFor(tag)).toHaveLength(0);
  });

  describe("under the Inngest functions", () => {
    const config = testSendingConfig({ concurrency: 4, materializeStep: 5 });
    const fns = createFunctions(async () => ({ db: db(), transport, config, limiter: new RateLimiter() }), { config, materializeBudgetMs: 0 });
    const send = (id: string) => ({ id, handler: () => ({ ids: [`${id}-event`] }) });

    /** Runs a function to its end on one event, the steps named in `steps` answered instead of run (Inngest's own work). */
    async function execute(fn: InngestFunction.Any, name: string, data: Record<string, unknown>, steps: InngestTestEngine.MockedStep[]) {
      const output = await new InngestTestEngine({ function: fn, events: [{ name, data }], steps }).execute();
      if (output.error) throw output.error instanceof Error ? output.error : new Error(JSON.stringify(output.error));
      return output.result as Record<string, unknown>;
    }

    it("starts without materialising or touching its counters, then its batch chain sends it", async () => {
      const run = await submitted();
      const before = (await db().select().from(tasks).where(eq(tasks.id, run.taskId)))[0]!;
      expect(before).toMatchObject({ materializeCursor: null, total: 4, queued: 3, suppressed: 1, reserved: 3 });
      const scheduled = await execute(fns.taskScheduler, TASK_EVENTS.scheduled, { taskId: run.taskId, scheduledAt: before.scheduledAt.toISOString() }, [
        { id: "wait-until-scheduled", handler: () => null },
        send("fan-out"),
      ]);
      // Nothing to materialise (one step that finds the cursor null); 3 queued in claims of 10 make one chain.
      expect(scheduled).toMatchObject({ started: true, materialized: { steps: 1, added: 0, suppressed: 0 }, batches: 1 });
      expect((await db().select().from(tasks).where(eq(tasks.id, run.taskId)))[0]).toMatchObject({ status: "sending", total: 4, queued: 3, suppressed: 1, reserved: 3, materializeCursor: null });

      const data = { taskId: run.taskId, transport: "smtp", domain: run.domain };
      const results = [await execute(fns.batchSender, TASK_EVENTS.batch, data, [send("next-batch")])];
      while (results.at(-1)!.next === "batch") results.push(await execute(fns.batchSender, TASK_EVENTS.batch, data, [send("next-batch"), send("wake-at-retry")]));
      expect(results.reduce((sum, result) => sum + Number(result.sent ?? 0), 0)).toBe(3);
      expect(receivedFor(run.tag)).toHaveLength(3);
      expect(await getTask(run.setup.ctx, run.taskId)).toMatchObject({ status: "completed", sent: 3, suppressed: 1, queued: 0, reserved: 0 });
      const mail = await (receivedFor(run.tag)[0] as SinkMessage).parse();
      expect(mail.attachments.map((attachment) => attachment.filename).sort()).toEqual(["logo.png", "报价单.pdf"]);
    });
  });
});

describe("reading a submitted message", () => {
  it("keeps an image the HTML shows by cid inline even outside multipart/related, and other parts as attachments", async () => {
    const raw = Buffer.from(
      [
        "From: =?UTF-8?B?5byg5LiJ?= <a@client.test>",
        "Reply-To: x@client.test, Team <y@client.test>",
        "Subject: =?UTF-8?B?5rWL6K+V?=",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="b"',
        "",
        "--b",
        "Content-Type: text/html; charset=utf-8",
        "",
        '<p><img src="cid:pic1"></p>',
        "--b",
        "Content-Type: image/png",
        "Content-ID: <pic1>",
        "Content-Transfer-Encoding: base64",
        "",
        PNG.toString("base64"),
        "--b",
        "Content-Type: application/pdf; name=a.pdf",
        "Content-ID: <unused>",
        "Content-Disposition: attachment; filename=a.pdf",
        "Content-Transfer-Encoding: base64",
        "",
        PDF.toString("base64"),
        "--b--",
        "",
      ].join("\r\n"),
    );
    const message = await parseSubmittedMessage(raw);
    expect(message).toMatchObject({ subject: "测试", html: '<p><img src="cid:pic1"></p>', text: "", fromName: "张三", replyTo: 'x@client.test, "Team" <y@client.test>', size: raw.byteLength });
    expect(message.attachments.map(({ fileName, contentType, cid }) => ({ fileName, contentType, cid }))).toEqual([
      { fileName: "", contentType: "image/png", cid: "pic1" },
      { fileName: "a.pdf", contentType: "application/pdf", cid: undefined },
    ]);
    expect(message.attachments[1]!.content.equals(PDF)).toBe(true);
  });
});
