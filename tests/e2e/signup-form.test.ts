/**
 * Issue 19, done-means 3: a pool's hosted sign-up form, set up in the console, used in Chinese by
 * a visitor who confirms through the link mailed to a real SMTP server; a bot that fills the
 * honeypot is told the same and added nowhere.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserTestsEnabled } from "../helpers/browser";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";
import { ADMIN, useConsole } from "./harness";
import { ConsolePage, LoginPage, openHydrated, sidewaysOverflow } from "./pages";

const run = browserTestsEnabled();
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
const PERSON = "li.na@example.org";
const BOT = "bot@spam.example";


describe.skipIf(!run)("hosted sign-up form in Chromium", () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink?.close();
  });
  const app = useConsole(() => ({ SMTP_URL: sink.url }));

  it("is set up on the pool's page, signs up a person in Chinese who confirms by the mailed link, and adds no bot", async () => {
    const page = await app.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await new LoginPage(page, app.url()).signIn(ADMIN.email, ADMIN.password);
    const console = new ConsolePage(page, app.url());
    await console.createDepartment("Growth", 1000);
    await console.importPool("Newsletter", "email,name\nold.reader@example.org,Old Reader\n");
    await console.visit("/pools");
    const poolPath = await page.getByTestId("view-pool-Newsletter").getAttribute("href");
    await console.visit(poolPath!);
    await page.getByTestId("locale-zh-CN").click();
    await expect.poll(() => page.getByTestId("pool-signup-form").textContent()).toBe("注册表单");

    // The form: a title, one required attribute, consent; saved, it gets its link and HTML.
    await page.getByTestId("pool-signup-form").click();
    await page.waitForURL(/\/pools\/[0-9a-f-]{36}\/form$/);
    await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
    expect(await page.getByTestId("form-share-card").textContent()).toContain("保存表单后即可获得链接和 HTML");
    const settings = page.getByTestId("signup-form-settings");
    await settings.getByTestId("form-title-input").fill("订阅我们的月报");
    await settings.getByTestId("form-intro").fill("每月一封，随时可以退订。");
    await settings.getByTestId("form-add-field").click();
    await settings.getByTestId("form-field-attribute-0").fill("城市");
    await settings.getByTestId("form-field-label-0").fill("所在城市");
    await settings.getByTestId("form-field-required-0").check();
    await settings.getByTestId("form-consent").fill("我同意接收邮件");
    await settings.getByTestId("form-colour").fill("#0f766e");
    await settings.getByTestId("form-language").selectOption("zh");
    await settings.getByRole("button", { name: "保存表单" }).click();
    await settings.getByTestId("form-saved").waitFor();
    const preview = page.getByTestId("form-preview");
    await preview.waitFor();
    const formPath = (await preview.getAttribute("href"))!;
    expect(formPath).toMatch(/^\/f\/[0-9a-f-]{36}$/);
    const snippet = await page.getByTestId("form-snippet").inputValue();
    expect(snippet).toContain(`${formPath}/submit" accept-charset="UTF-8">`);
    expect(snippet).toContain('name="field.城市"');
    expect(snippet).toContain('name="website" tabindex="-1"');
    expect(snippet).toContain('<input type="hidden" name="lang" value="zh">');
    await page.setViewportSize(PHONE);
    await expect.poll(() => sidewaysOverflow(page)).toBeLessThanOrEqual(0);
    await page.setViewportSize(DESKTOP);

    // A visitor whose browser speaks English switches the page to Chinese and signs up.
    const visitor = await app.newPage();
    visitor.on("pageerror", (error) => errors.push(error.message));
    await openHydrated(visitor, `${app.url()}${formPath}`);
    expect(await visitor.getByTestId("form-submit").textContent()).toBe("Subscribe");
    await visitor.getByTestId("form-lang-zh").click();
    await expect.poll(() => visitor.getByTestId("form-submit").textContent()).toBe("订阅");
    expect(await visitor.getByTestId("form-title").textContent()).toBe("订阅我们的月报");
    expect(await visitor.getByTestId("form-submit").evaluate((button) => getComputedStyle(button).backgroundColor)).toBe("rgb(15, 118, 110)");
    await visitor.setViewportSize(PHONE);
    expect(await sidewaysOverflow(visitor)).toBeLessThanOrEqual(0);
    const form = visitor.getByTestId("signup-form");
    await form.getByLabel("邮箱地址").fill(PERSON);
    await form.getByLabel("姓名").fill("李娜");
    await form.getByLabel("所在城市").fill("杭州");
    await form.getByLabel("我同意接收邮件").check();
    await visitor.getByTestId("form-submit").click();
    await visitor.waitForURL(/\/thanks\?lang=zh$/);
    expect(await visitor.getByTestId("thanks-title").textContent()).toBe("请查收邮件");

    // The confirmation arrives at the real SMTP server; its link shows a button, and pressing it confirms.
    const [mail] = await sink.waitFor(1, 30_000);
    expect(mail!.envelope.rcptTo).toEqual([PERSON]);
    const parsed = await mail!.parse();
    const link = new URL(/https?:\/\/\S+\/u\/confirm\?token=\S+/.exec(parsed.text ?? "")![0]);
    await console.visit(`/pools/${poolPath!.split("/").pop()}?status=pending`);
    expect(await page.getByTestId("contacts-table").textContent()).toContain(PERSON);
    await openHydrated(visitor, `${app.url()}${link.pathname}${link.search}`);
    await visitor.getByRole("button").click();
    await visitor.getByTestId("confirm-outcome").waitFor();
    await console.visit(`${poolPath}?status=active`);
    const active = await page.getByTestId("contacts-table").textContent();
    expect(active).toContain(PERSON);
    expect(active).toContain("李娜");
    expect(active).toContain("杭州");

    // A bot fills every field, the hidden one too: it lands on the same page, and nobody is added or mailed.
    const bot = await app.newPage();
    await openHydrated(bot, `${app.url()}${formPath}?lang=zh`);
    const botForm = bot.getByTestId("signup-form");
    await botForm.getByLabel("邮箱地址").fill(BOT);
    await botForm.getByLabel("所在城市").fill("nowhere");
    await botForm.getByLabel("我同意接收邮件").check();
    await bot.locator("input[name=website]").evaluate((input) => ((input as HTMLInputElement).value = "https://spam.example"));
    await bot.getByTestId("form-submit").click();
    await bot.waitForURL(/\/thanks\?lang=zh$/);
    expect(await bot.getByTestId("thanks-title").textContent()).toBe("请查收邮件");
    await console.visit(poolPath!);
    expect(await page.getByTestId("contacts-table").textContent()).not.toContain(BOT);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(sink.messages.map((message) => message.envelope.rcptTo)).toEqual([[PERSON]]);
    expect(errors).toEqual([]);
  }, 300_000);
});
