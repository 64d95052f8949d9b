import { describe, expect, it } from "vitest";
import { browserTestsEnabled } from "../helpers/browser";
import { ADMIN, useConsole } from "./harness";
import { ConsolePage, LoginPage } from "./pages";

const run = browserTestsEnabled();

describe.skipIf(!run)("senders, templates and the outbox in Chromium", () => {
  const app = useConsole();

  it("adds a domain and a sender, writes a template with a live preview, test-sends it and reads it in the outbox", async () => {
    const page = await app.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await new LoginPage(page, app.url()).signIn(ADMIN.email, ADMIN.password);
    const console = new ConsolePage(page, app.url());
    await console.createDepartment("Marketing", 10_000);

    await console.allowUnverifiedDomains();
    await console.addDomain("Mail.Example.com");
    expect(await page.getByTestId("record-dkim").textContent()).toMatch(/_domainkey\.mail\.example\.com.*v=DKIM1; k=rsa; p=/);
    await console.addSender("news@mail.example.com", "Newsroom");

    await console.visit("/templates/new");
    await page.getByTestId("template-name").fill("Welcome");
    await page.getByTestId("template-subject").fill("Welcome, {{ name | default: \"friend\" }}");
    await page.getByTestId("mode-html").click();
    await page.getByTestId("html-source").fill('<p>你好 {{ name }}，欢迎！</p>\n<p><a href="https://example.com/start">Start</a></p>');
    await expect.poll(() => page.getByTestId("preview-subject").textContent(), { timeout: 10_000 }).toBe("Welcome, Someone");
    const frame = page.frameLocator("[data-testid=preview-frame]");
    await expect.poll(() => frame.locator("body").textContent()).toContain("你好 Someone，欢迎！");

    await page.getByTestId("html-source").fill("<p>{% if name %}unclosed</p>");
    await expect.poll(() => page.getByTestId("lint-error").first().textContent(), { timeout: 10_000 }).toMatch(/html 1:4/);
    await page.getByTestId("template-save").click();
    await expect.poll(() => page.getByTestId("template-message").textContent()).toMatch(/line 1, column 4/);

    await page.getByTestId("html-source").fill('<p>你好 {{ name }}，欢迎！</p>\n<p><a href="https://example.com/start">Start</a></p>');
    await page.getByTestId("template-save").click();
    await page.waitForURL(/\/templates\/[0-9a-f-]{36}$/);
    await page.getByTestId("test-send").waitFor();
    await page.getByTestId("test-recipients").fill("reader@example.org");
    await page.getByTestId("test-send-button").click();
    await expect.poll(() => page.getByTestId("test-results").textContent(), { timeout: 10_000 }).toMatch(/^reader@example\.org: /);

    await console.visit("/outbox");
    await page.getByTestId("outbox-table").getByRole("link", { name: "[TEST] Welcome, Someone" }).click();
    await expect.poll(() => page.getByTestId("outbox-text").textContent()).toContain("你好 Someone，欢迎！");
    expect(errors).toEqual([]);
  });
});
