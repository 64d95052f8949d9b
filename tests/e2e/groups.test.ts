/**
 * Group addresses in Chromium, in Chinese (issue 19): a department user creates a pool's group
 * address, finds it in the list, reads the archive (posts put there as intake leaves them) and
 * searches a Chinese word; a member's signed link opens the hosted archive, a forged one does not,
 * and an attachment comes down with safe headers.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import nodemailer from "nodemailer";
import MailComposer from "nodemailer/lib/mail-composer";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "@/db/client";
import { systemActor } from "@/lib/access/actor";
import { archiveLink } from "@/lib/groups/archive-access";
import { addContact } from "@/lib/pools/contact-edits";
import { createPool } from "@/lib/pools/pools";
import { browserTestsEnabled, launchChromium } from "../helpers/browser";
import { makeDepartment, makeUser } from "../helpers/factories";
import { addVerifiedDomain } from "../helpers/sending";
import { freePort, startServer, type RunningServer } from "../helpers/server";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";
import { socketClient } from "../helpers/socket-client";
import { ADMIN } from "./harness";
import { LoginPage, openHydrated, sidewaysOverflow } from "./pages";

const run = browserTestsEnabled();
const USER = { email: "groups@fanout.test", password: "group password 1" };
const TOKEN_SECRET = "groups-e2e-token-secret";
const DOMAIN = "lists.groups-e2e.example.com";
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };


describe.skipIf(!run)("group addresses in Chromium", () => {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let sink: SmtpSink | undefined;
  let gatewayPort = 0;
  let dataDir = "";
  const previousSecret = process.env.FANOUT_TOKEN_SECRET;

  beforeAll(async () => {
    // The member links this test signs are read by the server with the same secret.
    process.env.FANOUT_TOKEN_SECRET = TOKEN_SECRET;
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-e2e-groups-"));
    const handle = await openDatabase({ dataDir });
    try {
      await seed(handle);
    } finally {
      await handle.close();
    }
    // The server's SMTP entrance takes posts for the group; its engine sends the copies to the sink.
    [sink, gatewayPort] = await Promise.all([startSmtpSink(), freePort()]);
    [server, browser] = await Promise.all([
      startServer(
        { FANOUT_ADMIN_EMAIL: ADMIN.email, FANOUT_ADMIN_PASSWORD: ADMIN.password, FANOUT_TOKEN_SECRET: TOKEN_SECRET, FANOUT_GATEWAY_PORT: String(gatewayPort), SMTP_URL: sink.url },
        dataDir,
      ),
      launchChromium(),
    ]);
  });

  /** A department with its user, a verified sender domain and a pool of two members. */
  async function seed({ db }: DatabaseHandle) {
    const system = { db, actor: systemActor("test") };
    const department = await makeDepartment(db, { name: "市场部" });
    await makeUser(db, "department", { departmentId: department.id, email: USER.email, password: USER.password });
    await addVerifiedDomain(system, DOMAIN, department.id);
    const pool = await createPool(system, { name: "项目组成员", departmentId: department.id });
    for (const email of ["member@example.org", "wang@example.org"]) await addContact(system, pool.id, { email, name: "", attributes: [] });
  }

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await sink?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    if (previousSecret === undefined) delete process.env.FANOUT_TOKEN_SECRET;
    else process.env.FANOUT_TOKEN_SECRET = previousSecret;
  });

  /** Posts as the lead's intake stores them: the MIME, its text, its attachments listed, the thread of the first post. */
  async function insertPosts(groupId: string) {
    const client = await socketClient(dataDir);
    try {
      const [{ department_id: departmentId }] = (await client.query<{ department_id: string }>("select department_id from groups where id = $1", [groupId])).rows as [{ department_id: string }];
      const posts = [
        { key: "first", from: ["王小明", "wang@example.org"], subject: "第三季度计划", text: "大家好：\n请在周五前提交季度报告。\n<script>alert(1)</script>", attachment: true },
        { key: "reply", from: ["", "member@example.org"], subject: "Re: 第三季度计划", text: "收到，周四交。", thread: "first" },
        { key: "lunch", from: ["陈", "chen@example.org"], subject: "周五午饭", text: "一起去吃饺子？" },
      ];
      const ids = new Map<string, string>();
      for (const [minute, post] of posts.entries()) {
        const attachments = post.attachment ? [{ filename: "报告.html", content: Buffer.from("<script>alert('x')</script>"), contentType: "text/html" }] : [];
        const raw = await new MailComposer({ from: { name: post.from[0]!, address: post.from[1]! }, to: `team@${DOMAIN}`, subject: post.subject, text: post.text, messageId: `<${post.key}@example.org>`, attachments }).compile().build();
        const id = crypto.randomUUID();
        ids.set(post.key, id);
        await client.query(
          `insert into group_posts (id, group_id, department_id, thread_id, message_id, subject, from_address, from_name, body_text, attachments, raw, size, status, received_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'sent', now() - make_interval(mins => $13))`,
          [id, groupId, departmentId, post.thread ? ids.get(post.thread)! : id, `${post.key}@example.org`, post.subject, post.from[1], post.from[0], post.text,
            JSON.stringify(attachments.map((file) => ({ fileName: file.filename, contentType: file.contentType, size: file.content.byteLength }))), raw, raw.byteLength, 10 - minute],
        );
      }
      return ids;
    } finally {
      await client.end();
    }
  }

  it("creates a group address in Chinese, lists it, searches its archive for a Chinese word, and opens a member's hosted archive", async () => {
    const baseUrl = server!.url;
    const context = await browser!.newContext({ locale: "zh-CN", viewport: DESKTOP });
    await context.addCookies([{ name: "fanout-locale", value: "zh-CN", url: baseUrl }]);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await new LoginPage(page, baseUrl).signIn(USER.email, USER.password);

    await openHydrated(page, `${baseUrl}/groups`);
    expect(await page.locator("main h1").textContent()).toBe("群组地址");
    expect(await page.getByTestId("nav-groups").textContent()).toBe("群组地址");
    await page.getByTestId("new-group").click();
    await page.waitForURL(/\/groups\/new$/);
    const form = page.getByTestId("group-form");
    await form.waitFor();
    await page.locator("html[data-hydrated]").waitFor({ state: "attached" });

    // A return-path form is refused beside the address, in Chinese.
    await form.getByTestId("group-pool").selectOption({ label: "项目组成员" });
    await form.getByTestId("group-address").fill(`bounce+x@${DOMAIN}`);
    await form.getByRole("button", { name: "创建群组地址" }).click();
    await expect.poll(() => form.locator("[role=alert]").first().textContent()).toContain("退信");

    await form.getByTestId("group-address").fill(`Team@${DOMAIN}`);
    await form.getByTestId("group-name").fill("项目组");
    await form.getByTestId("group-posting").selectOption("members");
    await form.getByTestId("group-moderators").fill("boss@example.org");
    await form.getByRole("button", { name: "创建群组地址" }).click();
    await page.waitForURL(/\/groups\/[0-9a-f-]{36}$/);
    const groupId = /\/groups\/([0-9a-f-]{36})$/.exec(page.url())![1]!;
    expect(await page.locator("main h1").textContent()).toBe(`team@${DOMAIN}`);
    expect(await page.getByTestId("group-threads").textContent()).toContain("还没有邮件");

    await openHydrated(page, `${baseUrl}/groups`);
    const row = page.getByTestId(`group-row-team@${DOMAIN}`);
    expect(await row.textContent()).toContain("项目组成员");
    expect(await row.textContent()).toContain("地址池成员");

    // Posts arrive (as intake leaves them); the archive lists two threads, newest activity first.
    const ids = await insertPosts(groupId);
    await row.getByTestId("group-link").click();
    await page.waitForURL(new RegExp(`/groups/${groupId}$`));
    const threads = page.getByTestId("group-thread-link");
    await expect.poll(() => threads.allTextContents()).toEqual(["周五午饭", "第三季度计划"]);

    await page.getByTestId("group-archive-query").fill("季度报告");
    await page.getByTestId("group-archive-submit").click();
    await expect.poll(() => threads.allTextContents()).toEqual(["第三季度计划"]);
    expect(await page.getByTestId("group-thread-posts").textContent()).toBe("2");
    await page.setViewportSize(PHONE);
    await expect.poll(() => sidewaysOverflow(page)).toBeLessThanOrEqual(0);
    await page.setViewportSize(DESKTOP);

    await threads.first().click();
    await page.waitForURL(new RegExp(`/groups/${groupId}/threads/${ids.get("first")}$`));
    const bodies = page.getByTestId("group-post-body");
    await expect.poll(() => bodies.count()).toBe(2);
    // The text shown as text: the script tag is words on the page, not an element.
    expect(await bodies.first().textContent()).toContain("<script>alert(1)</script>");
    expect(await page.locator("[data-testid=group-post-body] script").count()).toBe(0);
    expect(await page.getByTestId("group-post-poster").allTextContents()).toEqual(["王小明", "member@example.org"]);

    // The settings tab explains the member link; the moderation tab has nothing waiting.
    await openHydrated(page, `${baseUrl}/groups/${groupId}?tab=settings`);
    expect(await page.getByTestId("group-member-link").textContent()).toContain("180 天");
    expect(await page.getByTestId("group-address").inputValue()).toBe(`team@${DOMAIN}`);
    await openHydrated(page, `${baseUrl}/groups/${groupId}?tab=moderation`);
    expect(await page.getByTestId("group-held-posts").textContent()).toContain("没有待审核的邮件");

    // A member's link: the hosted archive in Chinese, searchable; a forged one shows no access.
    const member = await browser!.newContext({ locale: "zh-CN", viewport: PHONE });
    const visitor = await member.newPage();
    visitor.on("pageerror", (error) => errors.push(error.message));
    const link = archiveLink(groupId, "member@example.org");
    await openHydrated(visitor, `${baseUrl}${link}`);
    expect(await visitor.getByTestId("group-archive-title").textContent()).toBe("项目组 的存档");
    await visitor.getByTestId("group-archive-query").fill("季度报告");
    await visitor.getByTestId("group-archive-submit").click();
    const hostedThreads = visitor.getByTestId("group-thread-link");
    await expect.poll(() => hostedThreads.allTextContents()).toEqual(["第三季度计划"]);
    await expect.poll(() => sidewaysOverflow(visitor)).toBeLessThanOrEqual(0);
    await hostedThreads.first().click();
    await visitor.getByTestId("group-thread-subject").waitFor();
    expect(await visitor.getByTestId("group-post-body").first().textContent()).toContain("请在周五前提交季度报告。");
    const download = await visitor.getByTestId("group-post-attachment").first().getAttribute("href");
    const file = await fetch(`${baseUrl}${download}`);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("application/octet-stream");
    expect(file.headers.get("content-disposition")).toContain(`filename*=UTF-8''${encodeURIComponent("报告.html")}`);
    expect(file.headers.get("x-content-type-options")).toBe("nosniff");
    expect(file.headers.get("content-security-policy")).toBe("sandbox; default-src 'none'");
    expect(await file.text()).toBe("<script>alert('x')</script>");

    await openHydrated(visitor, `${baseUrl}${link.slice(0, -4)}abcd?lang=en`);
    expect(await visitor.getByTestId("group-archive-no-access").textContent()).toContain("No access");
    expect((await fetch(`${baseUrl}${link.slice(0, -4)}abcd/a/${ids.get("first")}/0`)).status).toBe(404);
    await member.close();
    await context.close();
    expect(errors).toEqual([]);
  }, 240_000);

  it("holds a stranger's post that came through the SMTP entrance until a moderator approves it in Chinese, then sends it to every member", async () => {
    const baseUrl = server!.url;
    const client = await socketClient(dataDir);
    const groupId = (await client.query<{ id: string }>("select id from groups where address = $1", [`team@${DOMAIN}`])).rows[0]!.id;
    await client.end();

    const poster = nodemailer.createTransport({ host: "127.0.0.1", port: gatewayPort, secure: false, ignoreTLS: true });
    const answer = await poster.sendMail({ from: "陌生人 <stranger@example.net>", to: `team@${DOMAIN}`, subject: "合作邀请", text: "您好，想和贵组谈谈合作。" });
    poster.close();
    expect(answer.response).toMatch(/^250 .*Held for a moderator/);

    const context = await browser!.newContext({ locale: "zh-CN", viewport: PHONE });
    await context.addCookies([{ name: "fanout-locale", value: "zh-CN", url: baseUrl }]);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await new LoginPage(page, baseUrl).signIn(USER.email, USER.password);
    await openHydrated(page, `${baseUrl}/groups/${groupId}?tab=moderation`);
    const held = page.getByTestId("group-held-row");
    expect(await held.count()).toBe(1);
    expect(await held.textContent()).toContain("合作邀请");
    expect(await held.textContent()).toContain("不是地址池的有效成员");
    await expect.poll(() => sidewaysOverflow(page)).toBeLessThanOrEqual(0);
    expect(sink!.messages).toHaveLength(0);

    await held.getByTestId("moderation-approve").getByRole("button").click();
    await page.getByTestId("moderation-done").waitFor();
    const copies = await sink!.waitFor(2, 30_000);
    expect(copies.map((message) => message.envelope.rcptTo[0]).sort()).toEqual(["member@example.org", "wang@example.org"]);
    for (const copy of copies) {
      const head = copy.raw.toString("utf8").split("\r\n\r\n")[0]!.replace(/\r\n[ \t]+/g, " ");
      expect(head).toMatch(new RegExp(`^List-Id: .*<team\\.${DOMAIN.replace(/\./g, "\\.")}>`, "m"));
      expect((await copy.parse()).text).toContain("想和贵组谈谈合作");
    }
    await openHydrated(page, `${baseUrl}/groups/${groupId}?tab=moderation`);
    expect(await page.getByTestId("group-held-posts").textContent()).toContain("没有待审核的邮件");
    await context.close();
    expect(errors).toEqual([]);
  }, 120_000);
});
