import { describe, expect, it } from "vitest";
import { browserTestsEnabled } from "../helpers/browser";
import { ADMIN, useConsole } from "./harness";
import { ConsolePage, LoginPage, openHydrated } from "./pages";

const run = browserTestsEnabled();
const READERS = ["ada@example.org", "bo@example.org", "cy@example.org", "di@example.org", "ed@example.org"];

describe.skipIf(!run)("send with confidence in Chromium", () => {
  const app = useConsole();

  it("confirms a task with its counts, quota, domain, test send and preview; back keeps the input; refusals land on the form", async () => {
    const page = await app.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await new LoginPage(page, app.url()).signIn(ADMIN.email, ADMIN.password);
    const console = new ConsolePage(page, app.url());
    await console.createDepartment("Confirmers", 100);
    await console.allowUnverifiedDomains();
    await console.addDomain("confirm.example.com");
    await console.addSender("news@confirm.example.com", "Newsroom");
    await console.writeTemplate({ name: "Welcome", subject: "Welcome {{ name }}", html: '<p>你好 {{ name }}</p>\n<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>' });
    const welcomeUrl = page.url();
    await console.writeTemplate({ name: "Bare", subject: "Bare news", html: "<p>No way out</p>" });
    await console.importPool("Five", `email,name\n${READERS.map((email, index) => `${email},Reader ${index + 1}`).join("\n")}\n`);
    await console.visit("/suppressions");
    await page.getByTestId("suppression-addresses").fill(READERS[0]!);
    await page.getByTestId("suppression-add-form").getByRole("button").click();
    await page.getByTestId(`suppression-row-${READERS[0]}`).waitFor();

    const confirm = page.getByTestId("task-confirm");
    const welcome = { template: { label: "Welcome · v1" }, pools: ["Five"], sender: { label: "news@confirm.example.com" } };
    await console.visit("/tasks/new");
    // Five to send where four can receive it: refused on the form, before any confirmation.
    const form = await console.fillTask({ ...welcome, name: "Welcome, checked", limit: 5 });
    await form.getByRole("button", { name: "Review and send" }).click();
    const refusal = "The number to send (5) is more than the audience holds: 4 after suppressed addresses are left out";
    await expect.poll(() => form.getByTestId("form-error").textContent()).toBe(refusal);
    expect(await form.locator("fieldset", { has: page.getByTestId("task-limit") }).getByRole("alert").textContent()).toBe(refusal);
    expect(await confirm.count()).toBe(0);

    // Everyone: the confirmation shows 4 of the pool of 5, the quota left, the domain, no test send yet, and the first recipient's message.
    await form.getByTestId("task-amount-all").check();
    await form.getByRole("button", { name: "Review and send" }).click();
    await confirm.waitFor();
    expect(await form.isVisible()).toBe(false);
    expect(await confirm.getByTestId("confirm-recipient-count").textContent()).toBe("4 addresses will receive it");
    expect(await confirm.getByTestId("confirm-suppressed").textContent()).toContain("1 suppressed addresses are left out");
    expect(await confirm.getByTestId("confirm-quota-left").textContent()).toBe("96 sends");
    expect(await confirm.getByTestId("confirm-domain-status").getAttribute("data-status")).toBe("unverified");
    await confirm.getByTestId("confirm-domain-warning").waitFor();
    await confirm.getByTestId("confirm-not-tested").waitFor();
    expect(await confirm.getByTestId("confirm-no-unsubscribe").count()).toBe(0);
    expect(await confirm.getByTestId("confirm-preview-subject").textContent()).toBe("Welcome Reader 2");
    expect(await confirm.getByTestId("confirm-preview-frame").getAttribute("sandbox")).toBe("");
    await expect.poll(() => page.frameLocator("[data-testid=confirm-preview-frame]").locator("body").textContent()).toContain("你好 Reader 2");

    // Back: the form as it was typed.
    await confirm.getByTestId("confirm-back").click();
    await form.waitFor();
    expect(await form.getByTestId("task-name").inputValue()).toBe("Welcome, checked");
    expect(await form.getByTestId("task-pool-Five").isChecked()).toBe(true);
    expect(await form.getByTestId("task-amount-all").isChecked()).toBe(true);
    expect(await form.getByTestId("task-limit").inputValue()).toBe("5");
    expect(await form.getByTestId("task-sender").inputValue()).not.toBe("");

    // A test send of the template, then the confirmation says so; confirming sends to the four.
    await openHydrated(page, welcomeUrl);
    await page.getByTestId("test-recipients").fill("tester@example.org");
    await page.getByTestId("test-send-button").click();
    // The whole panel: a refusal shown instead of results is then in the failure's message. Generous for a loaded CI machine.
    await expect.poll(() => page.getByTestId("test-send").textContent(), { timeout: 45_000 }).toMatch(/tester@example\.org: /);
    await console.visit("/tasks/new");
    await console.fillTask(welcome);
    await form.getByRole("button", { name: "Review and send" }).click();
    await confirm.waitFor();
    expect(await confirm.getByTestId("confirm-tested").textContent()).toMatch(/^Version 1 was test-sent .* by admin@fanout\.test$/);
    await confirm.getByTestId("confirm-submit").click();
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
    await page.waitForSelector("[data-testid=task-progress][data-status=completed]", { timeout: 120_000 });
    expect(await page.getByTestId("count-sent").textContent()).toBe("4");
    expect(await page.getByTestId("count-suppressed").textContent()).toBe("1");

    // A template without an unsubscribe link: a warning while the company allows it ...
    await console.visit("/tasks/new");
    await console.fillTask({ ...welcome, template: { label: "Bare · v1" } });
    await form.getByTestId("task-when-later").check();
    await form.getByRole("button", { name: "Review and schedule" }).click();
    await confirm.getByTestId("confirm-no-unsubscribe").waitFor();
    expect(await confirm.getByTestId("confirm-submit").textContent()).toBe("Schedule");

    // ... and once the company requires a link (turned on in another tab while this confirmation is open), confirming is refused on the template field.
    const other = await page.context().newPage();
    const otherConsole = new ConsolePage(other, app.url());
    await otherConsole.visit("/admin/company");
    expect(await other.getByTestId("require-unsubscribe").getAttribute("data-on")).toBe("false");
    await other.getByTestId("require-unsubscribe-form").getByRole("button").click();
    await other.waitForSelector("[data-testid=require-unsubscribe][data-on=true]");
    // The SMS opt-out sentence is the same kind of switch, on by default; turned off, it stays off on the next visit.
    expect(await other.getByTestId("sms-opt-out-suffix").getAttribute("data-on")).toBe("true");
    await other.getByTestId("sms-opt-out-suffix-form").getByRole("button").click();
    await other.waitForSelector("[data-testid=sms-opt-out-suffix][data-on=false]");
    await otherConsole.visit("/admin/company");
    expect(await other.getByTestId("sms-opt-out-suffix").getAttribute("data-on")).toBe("false");
    expect(await other.getByTestId("require-unsubscribe").getAttribute("data-on")).toBe("true");
    await other.close();
    await confirm.getByTestId("confirm-submit").click();
    await form.waitFor();
    const unsubscribeRefusal = "The template has no unsubscribe link ({{ unsubscribe_url }}), and the company requires one in every task";
    await expect.poll(() => form.getByRole("alert").first().textContent()).toBe(unsubscribeRefusal);
    expect(await form.getByTestId("task-template").inputValue()).not.toBe("");
    // Reviewing again is refused at once.
    await form.getByRole("button", { name: "Review and schedule" }).click();
    await expect.poll(() => form.getByTestId("form-error").textContent()).toBe(unsubscribeRefusal);
    expect(await confirm.count()).toBe(0);
    await console.visit("/tasks");
    expect(await page.getByTestId("tasks-table").textContent()).not.toContain("Bare");
    expect(errors).toEqual([]);
  }, 240_000);

  it("offers the department's contact attributes, Chinese names included, as merge tags and inserts one at the cursor", async () => {
    const page = await app.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await new LoginPage(page, app.url()).signIn(ADMIN.email, ADMIN.password);
    const console = new ConsolePage(page, app.url());
    // The department of the first test is the only one, so the editor opens on it.
    await console.importPool("Partners", "email,name,姓名,公司\nzhang@example.cn,Zhang,张三,星火科技\n");

    await console.visit("/templates/new");
    const picker = page.getByTestId("merge-tag-picker");
    await expect.poll(() => picker.locator("option").allTextContents()).toEqual(expect.arrayContaining(["公司", "姓名", "Email address · email", "Unsubscribe link · unsubscribe_url"]));
    await page.getByTestId("template-name").fill("Partners");

    // In the subject, at the cursor.
    const subject = page.getByTestId("template-subject");
    await subject.fill("Offer for : today");
    await subject.evaluate((input: HTMLInputElement) => {
      input.focus();
      input.setSelectionRange(10, 10);
    });
    await picker.selectOption({ label: "公司" });
    await expect.poll(() => subject.inputValue()).toBe("Offer for {{ attributes.公司 }}: today");
    expect(await picker.inputValue()).toBe("");

    // In the HTML source, replacing the selected word.
    await page.getByTestId("mode-html").click();
    const source = page.getByTestId("html-source");
    await source.fill('<p>Dear WHO,</p>\n<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>');
    await source.evaluate((area: HTMLTextAreaElement) => {
      area.focus();
      area.setSelectionRange(8, 11);
    });
    await picker.selectOption({ label: "姓名" });
    await expect.poll(() => source.inputValue()).toBe('<p>Dear {{ attributes.姓名 }},</p>\n<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>');

    // The preview for that contact fills both in.
    await page.getByTestId("preview-contact").selectOption({ label: "Zhang <zhang@example.cn>" });
    await expect.poll(() => page.getByTestId("preview-subject").textContent(), { timeout: 10_000 }).toBe("Offer for 星火科技: today");
    await expect.poll(() => page.frameLocator("[data-testid=preview-frame]").locator("body").textContent()).toContain("Dear 张三,");

    // In the visual editor, at the caret it had before the picker took the focus.
    await page.getByTestId("mode-rich").click();
    const visual = page.getByTestId("rich-editor");
    await visual.locator("p").first().click();
    await page.keyboard.press("End");
    await picker.selectOption({ label: "Email address · email" });
    await expect.poll(() => visual.locator("p").first().textContent()).toBe("Dear {{ attributes.姓名 }},{{ email }}");
    expect(await source.count()).toBe(0);
    await page.getByTestId("mode-html").click();
    expect(await source.inputValue()).toContain("<p>Dear {{ attributes.姓名 }},{{ email }}</p>");
    expect(errors).toEqual([]);
  }, 120_000);
});
