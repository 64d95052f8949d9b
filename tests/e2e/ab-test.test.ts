import { describe, expect, it } from "vitest";
import { browserTestsEnabled } from "../helpers/browser";
import { ADMIN, useConsole } from "./harness";
import { ConsolePage, LoginPage, sidewaysOverflow } from "./pages";

const run = browserTestsEnabled();
const READERS = Array.from({ length: 20 }, (_, index) => `reader${String(index + 1).padStart(2, "0")}@example.org`);
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

describe.skipIf(!run)("an A/B test in Chromium", () => {
  const app = useConsole();

  it("tests two subjects on half the audience in Chinese, waits with each variant's figures, sends B to the rest by hand and shows the decision", async () => {
    const { page, errors, console } = await app.signedInAdmin();
    await console.departmentWithSender("Testers", 100, { address: "news@ab.example.com", name: "Newsroom" });
    await console.writeTemplate({ name: "Autumn", subject: "Autumn news", html: '<p>你好 {{ name }}</p>\n<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>' });
    await console.importPool("Twenty", `email,name\n${READERS.map((email, index) => `${email},Reader ${index + 1}`).join("\n")}\n`);

    await console.visit("/tasks");
    await page.getByTestId("locale-zh-CN").click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("群发任务管理");

    // Two subjects on half of the twenty, the winner chosen by hand.
    await console.visit("/tasks/new");
    const form = await console.fillTask({ template: { label: "Autumn · v1" }, pools: ["Twenty"], sender: { label: "news@ab.example.com" }, name: "秋季 A/B" });
    const test = form.getByTestId("ab-test");
    await test.getByTestId("ab-test-on").check();
    expect(await test.getByTestId("ab-version-A").locator("option:checked").textContent()).toBe("当前版本（v1）");
    await test.getByTestId("ab-subject-A").fill("秋天到了");
    await test.getByTestId("ab-subject-B").fill("秋天到了");
    await test.getByTestId("ab-share").fill("50");
    await test.getByTestId("ab-wait").fill("1");
    await test.getByTestId("ab-winner-by-hand").check();

    // Two variants alike: the server's refusal stands beside the variants, before any confirmation.
    await form.locator("button[type=submit]").click();
    await expect.poll(() => test.getByTestId("ab-variants-error").textContent()).toBe("版本 B 与版本 A 相同：每个版本的主题、发件人名称或模板版本须有不同。");
    expect(await page.getByTestId("task-confirm").count()).toBe(0);

    // The confirmation shows the test: about half of the twenty, each variant's subject, and who chooses.
    await test.getByTestId("ab-subject-B").fill("秋季特惠");
    await form.locator("button[type=submit]").click();
    const confirm = page.getByTestId("task-confirm");
    await confirm.waitFor();
    expect(await confirm.getByTestId("confirm-ab-share").textContent()).toBe("约 10 位收件人（50%）参加测试，平均分给 2 个版本；其余收件人收到胜出版本。");
    expect(await confirm.getByTestId("confirm-ab-variant-A").textContent()).toBe("版本 A：主题“秋天到了”");
    expect(await confirm.getByTestId("confirm-ab-variant-B").textContent()).toBe("版本 B：主题“秋季特惠”");
    expect(await confirm.getByTestId("confirm-ab-settings").textContent()).toBe("测试比例 50% · 依据打开率 · 等待 1 小时 · 手动选定");
    await confirm.getByTestId("confirm-submit").click();
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);

    // The runner sends the test share through the outbox; the card follows it until it waits for a person.
    const card = page.getByTestId("ab-test-card");
    await page.waitForSelector("[data-testid=ab-phase][data-phase=waiting][data-test-sent=true]", { timeout: 120_000 });
    expect(await card.getByTestId("ab-phase").textContent()).toContain("等待手动选定胜出版本");
    const sentA = Number(await card.getByTestId("ab-sent-A").textContent());
    const sentB = Number(await card.getByTestId("ab-sent-B").textContent());
    expect(sentA).toBeGreaterThan(0);
    expect(Math.abs(sentA - sentB)).toBeLessThanOrEqual(1);
    expect(await card.getByTestId("ab-opened-B").textContent()).toBe("0");
    expect(await card.getByTestId("ab-rate-B").textContent()).toBe("0.0%");
    expect(await card.getByTestId("ab-verdict").getAttribute("data-reason")).toBe("tooFewSent");
    expect(await card.getByTestId("ab-verdict").textContent()).toContain("发送数量太少，无法判断（每个版本至少 30 封）：版本 A 发给其余收件人。");
    expect(await card.getByTestId("chart-ab-rates").getAttribute("data-empty")).toBe("false");

    // On a phone the card scrolls its table inside itself; the page does not widen.
    await page.setViewportSize(PHONE);
    await expect.poll(() => sidewaysOverflow(page)).toBeLessThanOrEqual(0);
    await page.setViewportSize(DESKTOP);

    // B by hand, whatever the rule says: the rest get B and the task completes.
    const chooseB = card.getByTestId("ab-choose-B").getByRole("button");
    expect(await chooseB.textContent()).toBe("将版本 B 发给其余收件人");
    await chooseB.click();
    await page.waitForSelector("[data-testid=task-progress][data-status=completed]", { timeout: 120_000 });
    await expect.poll(() => page.getByTestId("count-sent").textContent()).toBe("20");
    const chosen = card.getByTestId("ab-chosen");
    await expect.poll(() => chosen.getAttribute("data-by")).toBe("hand");
    expect(await chosen.getAttribute("data-chosen")).toBe("B");
    expect(await chosen.textContent()).toMatch(/^由 admin@fanout\.test 于 \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} 手动选定：版本 B 发给其余收件人。$/);
    expect(await card.getByTestId("ab-rule-differed").textContent()).toBe("规则的结果为版本 A。");
    expect(await card.getByTestId("ab-rest-sent").getAttribute("data-count")).toBe(String(20 - sentA - sentB));
    expect(await card.getByTestId("ab-verdict").textContent()).toContain("规则结果");
    expect(await card.getByTestId("ab-choose").count()).toBe(0);

    await console.visit("/tasks");
    expect(await page.getByTestId("task-row-秋季 A/B").getByTestId("task-kind-ab-test").textContent()).toBe("A/B");
    expect(errors).toEqual([]);
  }, 300_000);

  it("sends at each contact's best hour instead of a test, never beside one, and says so on the confirmation and the task page", async () => {
    const page = await app.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await new LoginPage(page, app.url()).signIn(ADMIN.email, ADMIN.password);
    const console = new ConsolePage(page, app.url());
    await console.visit("/tasks/new");
    const form = await console.fillTask({ template: { label: "Autumn · v1" }, pools: ["Twenty"], sender: { label: "news@ab.example.com" }, name: "Autumn at the best hour" });
    const sendTime = form.getByTestId("send-time-on");
    const abTest = form.getByTestId("ab-test-on");

    // Either box, never both: each one ticked disables the other.
    await abTest.check();
    expect(await sendTime.isDisabled()).toBe(true);
    await abTest.uncheck();
    await sendTime.check();
    expect(await abTest.isDisabled()).toBe(true);

    await form.locator("button[type=submit]").click();
    const confirm = page.getByTestId("task-confirm");
    await confirm.waitFor();
    expect(await confirm.getByTestId("confirm-send-time").textContent()).toContain("At each contact's best hour, within 24 hours of the start");
    await confirm.getByTestId("confirm-submit").click();
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
    expect(await page.getByTestId("task-detail-send-time").textContent()).toBe("At each contact's best hour, within 24 hours of the start");

    // Duplicating keeps the choice.
    await page.getByTestId("task-duplicate").click();
    await page.waitForURL(/\/tasks\/new\?from=/);
    await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
    expect(await page.getByTestId("send-time-on").isChecked()).toBe(true);
    expect(errors).toEqual([]);
  }, 120_000);
});
