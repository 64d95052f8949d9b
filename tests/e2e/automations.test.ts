import { describe, expect, it } from "vitest";
import { browserTestsEnabled } from "../helpers/browser";
import { useConsole } from "./harness";
import { sidewaysOverflow } from "./pages";

const run = browserTestsEnabled();
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
const NAME = "新订阅者欢迎";
const BODY = '<p>你好 {{ name }}</p>\n<p><a href="{{ unsubscribe_url }}">退订</a></p>';

describe.skipIf(!run)("automations in Chromium", () => {
  const app = useConsole();

  it("creates a welcome series in Chinese, enrols a new subscriber from the API, reports the welcome sent, pauses it and deletes it", async () => {
    const { page, errors, console } = await app.signedInAdmin();
    await console.departmentWithSender("Growth", 100, { address: "hello@welcome.example.com", name: "Hello" });
    for (const [name, subject] of [
      ["Welcome", "欢迎加入"],
      ["Follow-up", "这些功能值得一试"],
      ["Reminder", "别错过我们的欢迎信"],
    ]) {
      await console.writeTemplate({ name: name!, subject: subject!, html: BODY });
    }
    // Imported members were not subscribed: only a new subscription enrols.
    await console.importPool("Newsletter", "email,name\nold.reader@example.org,Old Reader\n");
    const key = await console.createApiKey("signup form", "Growth");

    await console.visit("/automations");
    await page.getByTestId("locale-zh-CN").click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("自动化");
    expect(await page.getByTestId("nav-automations").textContent()).toBe("自动化");

    // The welcome series is what the form offers first: a pool, a sender and its three e-mails.
    await page.getByTestId("new-automation").click();
    await page.waitForURL(/\/automations\/new$/);
    const form = page.getByTestId("welcome-form");
    await form.waitFor();
    expect(await page.getByTestId("automation-mode-welcome").isChecked()).toBe(true);
    await form.getByTestId("automation-name").fill(NAME);
    await form.getByTestId("automation-sender").selectOption({ label: "hello@welcome.example.com" });
    await form.getByTestId("welcome-pool").selectOption({ label: "Newsletter" });
    await form.getByTestId("welcome-welcome").selectOption({ label: "Welcome" });
    await form.getByTestId("welcome-followUp").selectOption({ label: "Follow-up" });
    await form.getByTestId("welcome-reminder").selectOption({ label: "Reminder" });
    const steps = form.getByTestId("welcome-steps").locator("li");
    expect(await steps.allTextContents()).toEqual([
      "发送“Welcome”",
      "等待 48 小时",
      "发送“Follow-up”",
      "等待 72 小时",
      "第 1 步的邮件已打开：结束；未打开：转到第 6 步",
      "发送“Reminder”",
    ]);

    // Adjusting hands the series to the builder; a branch whose target moved above it is refused beside that step.
    await form.getByTestId("welcome-adjust").click();
    const builder = page.getByTestId("automation-builder");
    await builder.waitFor({ state: "visible" });
    expect(await builder.getByTestId("automation-steps").locator(":scope > li").count()).toBe(6);
    expect(await builder.getByTestId("step-no-4").locator("option:checked").textContent()).toBe("转到第 6 步 · 发送");
    await builder.getByTestId("step-up-5").click();
    expect(await builder.getByTestId("step-no-5").locator("option:checked").textContent()).toBe("选择步骤");
    await builder.getByTestId("automation-submit").click();
    await expect.poll(() => builder.getByTestId("step-error-5").textContent()).toBe("第 6 步：分支只能跳到之后的步骤，或结束。");
    await page.setViewportSize(PHONE);
    await expect.poll(() => sidewaysOverflow(page)).toBeLessThanOrEqual(0);
    await page.setViewportSize(DESKTOP);

    // Back to the series as it was chosen, created as it is.
    await page.getByTestId("automation-mode-welcome").check();
    await form.getByTestId("welcome-submit").click();
    await page.waitForURL(/\/automations\/[0-9a-f-]{36}$/);
    const reportUrl = page.url();
    await expect.poll(() => page.locator("h1").textContent()).toBe(NAME);
    expect(await page.getByTestId("automation-status").getAttribute("data-status")).toBe("active");
    expect(await page.getByTestId("automation-detail-trigger").textContent()).toBe("订阅地址池“Newsletter”");
    expect(await page.getByTestId("enrolments-active").textContent()).toBe("0");

    // The list shows it, with its trigger in words and nobody enrolled yet.
    await console.visit("/automations");
    const row = page.getByTestId(`automation-row-${NAME}`);
    expect(await row.getByTestId("automation-trigger").textContent()).toBe("订阅地址池“Newsletter”");
    expect(await row.getByTestId("automation-status").textContent()).toBe("运行中");
    expect(await row.getByTestId("automation-enrolled").getAttribute("data-active")).toBe("0");

    // A sign-up form subscribes a new address through the public API.
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${app.url()}${path}`, { method, headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    const pools = (await (await api("GET", "/api/v1/pools")).json()) as { id: string; name: string }[];
    const pool = pools.find((one) => one.name === "Newsletter")!;
    const subscribed = await api("POST", "/api/v1/subscribe", { poolId: pool.id, email: "new.reader@example.org", name: "New Reader" });
    expect(await subscribed.json()).toEqual({ status: "subscribed" });

    // The runner sends the welcome at once and starts the 48-hour wait: the follow-up is what the contact waits for.
    await console.visit(reportUrl.replace(app.url(), ""));
    for (let attempt = 0; (await page.getByTestId("step-sent-0").textContent()) !== "1"; attempt++) {
      expect(attempt, "the welcome step ran").toBeLessThan(60);
      await page.waitForTimeout(1_000);
      await page.reload();
    }
    expect(await page.getByTestId("enrolments-active").textContent()).toBe("1");
    expect(await page.getByTestId("step-ran-0").textContent()).toBe("1");
    expect(await page.getByTestId("step-ran-1").textContent()).toBe("1");
    expect(await page.getByTestId("step-at-2").textContent()).toBe("1");
    expect(await page.getByTestId("step-sent-2").textContent()).toBe("0");
    expect(await page.getByTestId("step-answers-4").textContent()).toBe("0 / 0");
    expect(await page.getByTestId("chart-automation-steps").getAttribute("data-empty")).toBe("false");
    await page.setViewportSize(PHONE);
    await expect.poll(() => sidewaysOverflow(page)).toBeLessThanOrEqual(0);
    await page.setViewportSize(DESKTOP);

    // Paused: the contact waits where it is, and the page and the list say so.
    const pause = page.getByTestId("automation-pause-form").getByRole("button");
    expect(await pause.textContent()).toBe("暂停");
    await pause.click();
    await expect.poll(() => page.getByTestId("automation-status").getAttribute("data-status")).toBe("paused");
    expect(await page.getByTestId("automation-status").textContent()).toBe("已暂停");
    expect(await page.getByTestId("automation-paused-note").textContent()).toContain("已暂停");
    expect(await page.getByTestId("automation-resume-form").getByRole("button").textContent()).toBe("恢复");
    await console.visit("/automations");
    expect(await page.getByTestId(`automation-row-${NAME}`).getByTestId("automation-status").textContent()).toBe("已暂停");
    expect(await page.getByTestId(`automation-row-${NAME}`).getByTestId("automation-enrolled").getAttribute("data-active")).toBe("1");

    // Deleted (after its confirmation): back on the list, without it.
    await page.getByTestId(`automation-link-${NAME}`).click();
    const remove = page.getByTestId("automation-delete-form").getByRole("button");
    expect(await remove.textContent()).toBe("删除");
    await remove.click();
    await page.waitForURL(/\/automations$/);
    await expect.poll(() => page.getByTestId(`automation-row-${NAME}`).count()).toBe(0);
    expect(errors).toEqual([]);
  }, 300_000);
});
