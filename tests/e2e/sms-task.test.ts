/**
 * An SMS task from the console (issue 21, Done means 4), in the Chinese UI: an SMS template and its
 * segment count, a pool of contacts with phones and SMS consent imported through the wizard, an
 * SMS task to it started and completed by the server's engine over the fake Twilio, which must
 * receive exactly those numbers; Twilio's receipts and two replies (one "TD") through the server's
 * webhook; then the task list's channel, the by-channel report, the delivery log's numbers, the
 * trails and the replier's conversation.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserTestsEnabled } from "../helpers/browser";
import { startFakeTwilio, type FakeTwilio, type TwilioSent } from "../helpers/fake-twilio";
import { SMS_BODY, SMS_TEMPLATE_TEXT, TWILIO_ACCOUNT, twilioEnv } from "../helpers/sms-task";
import { ADMIN, useConsole } from "./harness";
import { ConsolePage, LoginPage } from "./pages";

const run = browserTestsEnabled();
const MEMBERS = [
  { email: "li.lei@example.org", name: "李雷", phone: "+8613900000001" },
  { email: "han.mei@example.org", name: "韩梅梅", phone: "+8613900000002" },
  { email: "wang.fang@example.org", name: "王芳", phone: "+8613900000003" },
];
/** A contact without a phone: consent alone does not make them an SMS recipient. */
const NO_PHONE = { email: "zhao.qiang@example.org", name: "赵强" };

describe.skipIf(!run)("an SMS task from the console in Chromium", { timeout: 180_000 }, () => {
  let twilio: FakeTwilio;
  beforeAll(async () => {
    twilio = await startFakeTwilio(TWILIO_ACCOUNT);
  });
  afterAll(async () => {
    await twilio?.close();
  });
  const app = useConsole(() => twilioEnv(twilio.url));

  it("creates an SMS template and task, sends exactly the pool's numbers, and shows the channel in the task list, report and delivery log", async () => {
    const page = await app.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.context().addCookies([{ name: "fanout-locale", value: "zh-CN", url: app.url() }]);
    await new LoginPage(page, app.url()).signIn(ADMIN.email, ADMIN.password);
    const console = new ConsolePage(page, app.url());
    await console.createDepartment("短信运营", 100);

    // 模板 → 添加短信模板: "{{ name }}" as written (10) and the 61-character body are 71 UCS-2 characters, 2 segments.
    await console.visit("/templates/new?channel=sms");
    await page.getByTestId("sms-template-editor").waitFor();
    await page.getByTestId("template-name").fill("周末促销短信");
    await page.getByTestId("sms-text").fill(SMS_TEMPLATE_TEXT);
    await expect.poll(() => page.getByTestId("sms-count").getAttribute("data-segments")).toBe("2");
    expect(await page.getByTestId("sms-count").textContent()).toContain("2 条");
    await page.getByTestId("template-save").click();
    await page.waitForURL(/\/templates\/[0-9a-f-]{36}$/);

    // A pool imported with its phone column and SMS consent.
    const csv = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fanout-sms-")), "members.csv");
    fs.writeFileSync(csv, `email,name,phone\n${MEMBERS.map((m) => `${m.email},${m.name},${m.phone}`).join("\n")}\n${NO_PHONE.email},${NO_PHONE.name},\n`);
    await console.visit("/pools");
    await page.getByTestId("pool-name").fill("短信会员");
    await page.getByTestId("pool-create-form").getByRole("button").click();
    await page.getByTestId("import-pool-短信会员").click();
    await page.getByTestId("upload-file").setInputFiles(csv);
    await page.getByTestId("upload-submit").click();
    await page.getByTestId("map-phone").selectOption("2");
    await page.getByTestId("map-consent-sms").check();
    await page.getByTestId("mapping-form").getByRole("button").click();
    await page.waitForSelector("[data-testid=import-progress][data-status=completed]");
    fs.rmSync(path.dirname(csv), { recursive: true, force: true });

    // 群发任务 → 新建: the SMS channel, the template, the pool; no sender is asked for.
    await console.visit("/tasks/new");
    const form = await console.fillTask({ channel: "sms", template: { label: "周末促销短信 · v1" }, name: "周末促销", pools: ["短信会员"] });
    await form.getByTestId("task-sms-note").waitFor();
    expect(await form.getByTestId("task-sender").count()).toBe(0);
    await form.locator("button[type=submit]").click();
    await page.getByTestId("task-confirm").waitFor();
    await page.getByTestId("confirm-submit").click();
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
    await page.waitForSelector("[data-testid=task-progress][data-status=completed]", { timeout: 60_000 });

    // The gateway received exactly the pool's numbers, each its own text once.
    expect(twilio.sent.map((message) => message.to).sort()).toEqual(MEMBERS.map((m) => m.phone).sort());
    for (const member of MEMBERS) {
      expect(twilio.sent.find((message) => message.to === member.phone)!.body).toBe(`${member.name}${SMS_BODY}拒收请回复R`);
    }

    // Twilio's receipts and a TD reply reach the server's webhook: one delivered, one undelivered (30003), the third number opts out.
    // Signed for the URL the server reads back: without FANOUT_PUBLIC_URL, Next names its host "localhost" (scripts/start.mjs).
    const webhook = `${app.url().replace("127.0.0.1", "localhost")}/api/webhooks/sms/twilio`;
    const byPhone = (phone: string) => twilio.sent.find((message) => message.to === phone)!;
    const [delivered, failed, replier] = MEMBERS.map((m) => byPhone(m.phone)) as [TwilioSent, TwilioSent, TwilioSent];
    const accepted = async (posted: Promise<{ status: number }>) => expect(Math.floor((await posted).status / 100)).toBe(2);
    await accepted(twilio.sendStatus(webhook, delivered, "delivered"));
    await accepted(twilio.sendStatus(webhook, failed, "undelivered", "30003"));
    await accepted(twilio.sendInbound(webhook, replier.to, "好的，周六到店"));
    await accepted(twilio.sendInbound(webhook, replier.to, "TD"));

    // 群发任务管理 shows the channel.
    await console.visit("/tasks");
    expect(await page.getByTestId("task-row-周末促销").getByTestId("task-channel").textContent()).toBe("短信");

    // 群发统计: the by-channel breakdown counts the sends under SMS, and the SMS filter keeps them.
    await console.visit("/reports?period=today");
    await page.getByTestId("channel-breakdown").waitFor();
    const figures = async () =>
      Object.fromEntries(
        await Promise.all((["sent", "delivered", "failed", "replies", "optOuts"] as const).map(async (key) => [key, await page.getByTestId(`channel-sms-${key}`).textContent()])),
      );
    expect(await figures()).toEqual({ sent: "3", delivered: "1", failed: "1", replies: "2", optOuts: "1" });
    expect(await page.getByTestId("channel-reason-row").allTextContents()).toEqual(["短信300031"]);
    expect(await page.getByTestId("channel-row-email").count()).toBe(0);
    await page.getByTestId("channel-switch").getByText("短信", { exact: true }).click();
    await page.waitForURL(/channel=sms/);
    expect(await page.getByTestId("channel-sms-sent").textContent()).toBe("3");
    expect(await page.getByTestId("send-report-total").textContent()).toContain("3");
    expect(await page.getByTestId("channel-chart").getAttribute("data-empty")).toBe("false");

    // 投递失败统计 has the same filter: the undelivered text is under SMS, and e-mail has no failures.
    await console.visit("/reports/failures?period=today");
    await page.getByTestId("channel-switch").getByText("短信", { exact: true }).click();
    await page.waitForURL(/\/reports\/failures\?.*channel=sms/);
    expect(await page.getByTestId("failure-report-total").textContent()).toContain("1");
    expect(await page.getByTestId("failure-report-row").count()).toBe(1);
    await page.getByTestId("channel-switch").getByText("邮件", { exact: true }).click();
    await page.waitForURL(/channel=email/);
    expect(await page.getByTestId("failure-report-row").count()).toBe(0);

    // 数据投递日志 lists the numbers, marked as SMS.
    await console.visit("/logs/deliveries");
    const addresses = await page.getByTestId("delivery-log-address").allTextContents();
    expect(addresses.sort()).toEqual(MEMBERS.map((m) => m.phone).sort());
    expect(await page.getByTestId("delivery-log-channel").allTextContents()).toEqual(["短信", "短信", "短信"]);

    // A delivery's trail: the number and its segments, the provider's receipt with its reason; the replier's trail has the reply.
    await page.getByTestId("delivery-log-address").getByText(failed.to, { exact: true }).click();
    await page.getByTestId("delivery-trail").waitFor();
    expect(await page.getByTestId("delivery-detail-channel").textContent()).toBe("短信");
    // The editor counted "{{ name }}" as written (2 segments); 韩梅梅's own text is 3 + 61 + 6 = 70 characters, one segment.
    expect(await page.getByTestId("delivery-detail-number").textContent()).toBe(`${failed.to} · 1 条计费短信`);
    expect(await page.getByTestId("trail-failed").textContent()).toContain("30003");
    await console.visit("/logs/deliveries");
    await page.getByTestId("delivery-log-address").getByText(replier.to, { exact: true }).click();
    await page.getByTestId("trail-replied").first().waitFor();
    const replies = await page.getByTestId("trail-replied").allTextContents();
    expect(replies).toHaveLength(2);
    expect(replies[0]).toContain("收到回复");
    expect(replies[0]).toContain("好的，周六到店");
    expect(replies[1]).toContain("TD");

    // The contact's phone in the pool opens the conversation: the text sent and both replies, newest first.
    await console.visit("/pools");
    await page.getByTestId("view-pool-短信会员").click();
    await page.getByTestId(`contact-phone-${MEMBERS[2]!.email}`).getByRole("link").click();
    await page.getByTestId("conversation").waitFor();
    expect(await page.getByTestId("conversation-reply").allTextContents()).toEqual([expect.stringContaining("TD"), expect.stringContaining("好的，周六到店")]);
    expect(await page.getByTestId("conversation-sent").textContent()).toContain("周末促销");
    expect(errors).toEqual([]);
  });
});
