import { describe, expect, it } from "vitest";
import type { Frame, Page, Response } from "playwright-core";
import { browserTestsEnabled } from "../helpers/browser";
import { ADMIN, useConsole } from "./harness";
import { ConsolePage, LoginPage } from "./pages";

const run = browserTestsEnabled();

/** What a department key stores: the classic payloads beside ordinary e-mail HTML that must survive. */
const HOSTILE_HTML = [
  "<p>Dear {{ name }},</p>",
  '<table style="width:100%;border:1px solid #ccc" data-testid="legit-table"><tr><td style="color:#c00">Offer</td></tr></table>',
  '<p><img src="/favicon.svg" alt="Logo" width="16" data-testid="legit-image"> <a href="https://example.com/start" data-testid="legit-link">Start</a></p>',
  '<img src=x onerror="window.__xss=1">',
  "<script>window.__xss=2</script>",
  '<p><a id="evil-link" href="javascript:window.__xss=3;alert(3)">Claim your prize</a></p>',
  '<svg onload="window.__xss=4;alert(4)"><circle r="4"></circle></svg>',
  '<details open ontoggle="window.__xss=5">x</details>',
  '<iframe srcdoc="&lt;script&gt;parent.__xss=6&lt;/script&gt;"></iframe>',
].join("\n");

const EMAIL_HTML = [
  '<table width="100%" cellpadding="0" cellspacing="0" bgcolor="#f4f4f4"><tr><td style="padding:16px;font-family:Arial,sans-serif">',
  '<p><img src="/favicon.svg" alt="Logo" width="32"></p>',
  '<p><font color="#336699">Monthly news</font></p>',
  '<p><a href="https://example.com/offer" target="_blank">See the offer</a> · <a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
  "</td></tr></table>",
].join("");

/**
 * window.__xss in the page and in every frame it holds (sandboxed frames included), as the list of frames where it is
 * set. A frame that is loading new content (the preview re-renders as the editor changes) is read once it has loaded;
 * one that went away while being read held nothing that can still run.
 */
async function flags(page: Page): Promise<string[]> {
  const read = async (frame: Frame): Promise<string | undefined> => {
    for (let attempt = 0; ; attempt++) {
      if (frame.isDetached()) return undefined;
      try {
        await frame.waitForLoadState();
        const flag = await frame.evaluate(() => (window as unknown as { __xss?: unknown }).__xss);
        return flag === undefined ? undefined : `${frame.url()}: ${String(flag)}`;
      } catch {
        if (frame.isDetached()) return undefined;
        if (attempt === 4) return `${frame.url()}: unreadable`;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  };
  const found = await Promise.all(page.frames().map(read));
  return found.filter((flag): flag is string => flag !== undefined);
}

const nonceOf = (csp: string) => /'nonce-([A-Za-z0-9+/=_-]{16,})'/.exec(csp)?.[1];

/** The headers every response of the console must carry (the console runs on plain http here: no HSTS). */
function expectSecurityHeaders(headers: Record<string, string>, where: string) {
  const csp = headers["content-security-policy"] ?? "";
  expect(nonceOf(csp), `${where}: CSP nonce`).toBeTruthy();
  for (const directive of ["'strict-dynamic'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"]) {
    expect(csp, `${where}: ${directive}`).toContain(directive);
  }
  expect(csp, `${where}: no inline scripts`).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  expect(headers["x-content-type-options"], where).toBe("nosniff");
  expect(headers["x-frame-options"], where).toBe("DENY");
  expect(headers["referrer-policy"], where).toBe("strict-origin-when-cross-origin");
  expect(headers["strict-transport-security"], where).toBeUndefined();
}

/** Creates a department and one of its API keys through the console (as an admin would); returns the key. */
async function departmentKey(console: ConsolePage, department: string): Promise<string> {
  await console.createDepartment(department, 1_000);
  const key = await console.createApiKey("crm", department);
  expect(key).not.toBe("");
  return key;
}

async function postTemplate(baseUrl: string, key: string, template: { name: string; subject: string; html: string }) {
  return fetch(`${baseUrl}/api/v1/templates`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(template),
  });
}

describe.skipIf(!run)("stored template HTML never runs in the console", () => {
  const app = useConsole();

  it("a department key's template with script payloads opens in both editor modes, the preview and the outbox without running anything", async () => {
    const page = await app.newPage();
    const dialogs: string[] = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss().catch(() => {});
    });
    const documents: { url: string; headers: Record<string, string> }[] = [];
    page.on("response", (response: Response) => {
      if (response.request().resourceType() === "document" && response.url().startsWith(app.url())) documents.push({ url: response.url(), headers: response.headers() });
    });

    await new LoginPage(page, app.url()).signIn(ADMIN.email, ADMIN.password);
    const console = new ConsolePage(page, app.url());
    const key = await departmentKey(console, "Outsiders");
    await console.visit("/senders");
    // New installations require verified domains; the test cannot publish this one's DNS.
    await page.getByRole("button", { name: /^☑ Require verified domains/ }).click();
    await page.getByRole("button", { name: /^☐ Require verified domains/ }).waitFor();
    await page.getByTestId("domain-name").fill("mail.outsiders.test");
    await page.getByTestId("domain-add-form").getByRole("button").click();
    await page.getByTestId("domain-mail.outsiders.test").waitFor();
    await page.getByTestId("sender-address").fill("news@mail.outsiders.test");
    await page.getByTestId("sender-add-form").getByRole("button").click();
    await page.getByTestId("sender-row-news@mail.outsiders.test").waitFor();

    const created = await postTemplate(app.url(), key, { name: "Prize", subject: "You won, {{ name }}", html: HOSTILE_HTML });
    expect(created.status).toBeLessThan(300);
    expectSecurityHeaders(Object.fromEntries(created.headers), "POST /api/v1/templates");
    const { id } = (await created.json()) as { id: string };

    await console.visit(`/templates/${id}`);
    // The visual editor cannot hold this template whole, so it opens as source: exactly what the API stored.
    const source = page.getByTestId("html-source");
    expect(await source.inputValue()).toBe(HOSTILE_HTML);
    await page.getByTestId("mode-rich").click();
    await page.getByTestId("visual-drops").waitFor();
    const visual = page.getByTestId("rich-editor");
    // Ordinary e-mail HTML is shown as written; the payloads are not there to run.
    await visual.getByTestId("legit-table").waitFor();
    expect(await visual.getByTestId("legit-table").locator("td").getAttribute("style")).toBe("color:#c00");
    expect(await visual.getByTestId("legit-image").getAttribute("src")).toBe("/favicon.svg");
    expect(await visual.getByTestId("legit-link").getAttribute("href")).toBe("https://example.com/start");
    expect(await visual.innerHTML()).not.toMatch(/onerror|onload|ontoggle|<script|javascript:|<svg|<iframe/i);

    for (let round = 0; round < 2; round += 1) {
      await page.getByTestId("mode-html").click();
      // The source view is the template as stored: nothing the API saved is lost.
      expect(await source.inputValue()).toBe(HOSTILE_HTML);
      await page.getByTestId("mode-rich").click();
      await visual.getByTestId("legit-table").waitFor();
      await visual.locator("#evil-link").click();
    }

    const preview = page.frameLocator("[data-testid=preview-frame]");
    await preview.locator("#evil-link").waitFor({ timeout: 10_000 });
    await preview.locator("#evil-link").click();
    await page.waitForTimeout(500);
    expect(await flags(page)).toEqual([]);

    // Saving without an edit keeps the template exactly as stored.
    await page.getByTestId("template-save").click();
    await expect.poll(() => page.getByTestId("template-message").textContent()).toMatch(/2/);
    await page.getByTestId("mode-html").click();
    expect(await source.inputValue()).toBe(HOSTILE_HTML);

    await page.getByTestId("test-recipients").fill("reader@example.org");
    await page.getByTestId("test-send-button").click();
    await page.getByTestId("test-results").waitFor({ timeout: 10_000 });
    await console.visit("/outbox");
    await page.getByTestId("outbox-table").getByRole("link", { name: /You won/ }).first().click();
    const message = page.frameLocator("[data-testid=outbox-html]");
    await message.locator("#evil-link").waitFor();
    await message.locator("#evil-link").click();
    await page.waitForTimeout(500);

    expect(await flags(page)).toEqual([]);
    expect(dialogs).toEqual([]);

    expect(documents.length).toBeGreaterThanOrEqual(5);
    for (const document of documents) expectSecurityHeaders(document.headers, document.url);
    const nonces = new Set(documents.map((document) => nonceOf(document.headers["content-security-policy"] ?? "")));
    expect(nonces.size).toBe(documents.length);
  });

  it("the visual editor keeps ordinary e-mail HTML through an edit, and takes no script from its link button or from pasted HTML", async () => {
    const page = await app.newPage();
    await new LoginPage(page, app.url()).signIn(ADMIN.email, ADMIN.password);
    const console = new ConsolePage(page, app.url());
    const key = await departmentKey(console, "Newsletters");
    const created = await postTemplate(app.url(), key, { name: "Letter", subject: "News", html: EMAIL_HTML });
    const { id } = (await created.json()) as { id: string };

    await console.visit(`/templates/${id}`);
    const visual = page.getByTestId("rich-editor");
    await visual.getByText("Monthly news").waitFor();
    expect(await page.getByTestId("visual-drops").count()).toBe(0);
    await visual.getByText("Monthly news").click();
    await page.keyboard.press("End");
    await page.keyboard.type(" for May");

    // A dialog the page closes itself before this answers is no failure of the test.
    page.on("dialog", (dialog) => void dialog.accept("javascript:window.__xss=7").catch(() => {}));
    await visual.getByText("See the offer").selectText();
    await page.getByTestId("rich-toolbar").getByRole("button", { name: "Link" }).click();
    await visual.getByText("Monthly news for May").click();
    await page.keyboard.press("End");
    await visual.evaluate((editor) => {
      const pasted = new DataTransfer();
      pasted.setData("text/html", '<b data-testid="pasted">Pasted</b><img src="x" onerror="window.__xss=8">');
      editor.dispatchEvent(new ClipboardEvent("paste", { clipboardData: pasted, bubbles: true, cancelable: true }));
    });
    await visual.getByTestId("pasted").waitFor();
    expect(await visual.locator("img[src=x]").count()).toBe(1);
    expect(await visual.innerHTML()).not.toMatch(/onerror|javascript:/i);
    expect(await flags(page)).toEqual([]);
    await page.getByTestId("template-save").click();
    await expect.poll(() => page.getByTestId("template-message").textContent()).toMatch(/2/);

    await console.visit(`/templates/${id}`);
    await page.getByTestId("mode-html").click();
    const saved = await page.getByTestId("html-source").inputValue();
    expect(saved).toContain("Monthly news for May");
    expect(saved).toContain("Pasted");
    expect(saved).not.toMatch(/onerror|javascript:/i);
    for (const part of ['bgcolor="#f4f4f4"', 'style="padding:16px;font-family:Arial,sans-serif"', 'src="/favicon.svg"', 'alt="Logo"', 'href="https://example.com/offer"', 'target="_blank"', 'href="{{ unsubscribe_url }}"', '<font color="#336699">']) {
      expect(saved).toContain(part);
    }
  });
});
