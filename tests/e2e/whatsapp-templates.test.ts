import { AxeBuilder } from "@axe-core/playwright";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserTestsEnabled, launchChromium } from "../helpers/browser";
import { startFakeWhatsApp, type FakeWhatsApp } from "../helpers/fake-whatsapp";
import { startServer, type RunningServer } from "../helpers/server";
import { WHATSAPP_ACCOUNT, whatsappEnv } from "../helpers/whatsapp-task";
import { ADMIN } from "./harness";
import { ConsolePage, LoginPage, sidewaysOverflow } from "./pages";

const run = browserTestsEnabled();
const PHONE = { width: 390, height: 844 };

/** Whether anything on the page is wider than the screen (the page scrolls sideways). */

describe.skipIf(!run)("WhatsApp templates and tasks in Chromium, in Chinese on a phone", () => {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let whatsapp: FakeWhatsApp | undefined;

  beforeAll(async () => {
    whatsapp = await startFakeWhatsApp(WHATSAPP_ACCOUNT);
    server = await startServer({ FANOUT_ADMIN_EMAIL: ADMIN.email, FANOUT_ADMIN_PASSWORD: ADMIN.password, ...whatsappEnv(whatsapp.url) });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await whatsapp?.close();
  });

  it("writes a WhatsApp template with two variables, is told in Chinese what Meta would refuse, and offers it to a WhatsApp task", async () => {
    const page = await (await browser!.newContext({ locale: "zh-CN", viewport: PHONE })).newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await new LoginPage(page, server!.url).signIn(ADMIN.email, ADMIN.password);
    const console = new ConsolePage(page, server!.url);
    await console.createDepartment("Marketing", 1000);

    await console.visit("/templates");
    await page.getByTestId("new-whatsapp-template").click();
    await page.getByTestId("whatsapp-template-editor").waitFor();
    await page.getByTestId("template-name").fill("取货通知");
    await page.getByTestId("whatsapp-name").fill("Order Ready");
    await page.getByTestId("whatsapp-language").fill("zh_CN");
    await page.getByTestId("whatsapp-variable-add").click();
    await page.getByTestId("whatsapp-variable-add").click();
    await page.getByTestId("whatsapp-variable-1").fill("{{ name }}");
    await page.getByTestId("whatsapp-variable-2").fill("{{ attributes.city }}");
    // The variables as a contact would get them: the placeholder contact has a name and no city.
    await expect.poll(() => page.getByTestId("whatsapp-preview-1").textContent(), { timeout: 10_000 }).toContain("张三");
    expect(await page.getByTestId("whatsapp-preview-2").textContent()).toContain("为空");
    expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0.5);
    await page.getByTestId("template-save").click();
    await expect.poll(() => page.getByTestId("template-message").textContent()).toContain("模板名称须与 WhatsApp 审核通过的一致");

    await page.getByTestId("whatsapp-name").fill("order_ready");
    await page.getByTestId("template-save").click();
    await page.waitForURL(/\/templates\/[0-9a-f-]{36}$/);
    await page.getByTestId("whatsapp-template-editor").waitFor();
    expect(await page.getByTestId("whatsapp-name").inputValue()).toBe("order_ready");
    expect(await page.getByTestId("whatsapp-variable-2").inputValue()).toBe("{{ attributes.city }}");
    // No serious or critical accessibility violation in the editor (the shell is audited by accessibility.test.ts).
    const audit = await new AxeBuilder({ page }).setLegacyMode(true).options({ resultTypes: ["violations"] }).exclude("[data-testid=sidebar]").exclude("header").analyze();
    expect(audit.violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical").map((violation) => violation.id)).toEqual([]);

    await console.visit("/tasks/new");
    await page.getByTestId("task-channel-whatsapp").click();
    await page.getByTestId("task-whatsapp-note").waitFor();
    const offered = await page.getByTestId("task-template").locator("option").allTextContents();
    expect(offered.some((label) => label.startsWith("取货通知"))).toBe(true);
    expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0.5);
    expect(errors).toEqual([]);
  }, 120_000);
});
