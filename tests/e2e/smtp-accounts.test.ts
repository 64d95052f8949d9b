import nodemailer from "nodemailer";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserTestsEnabled, launchChromium } from "../helpers/browser";
import { freePort, startServer, type RunningServer } from "../helpers/server";
import { ADMIN } from "./harness";
import { ConsolePage, LoginPage, openHydrated } from "./pages";

const run = browserTestsEnabled();
const DEPARTMENT_USER = { email: "mailer@fanout.test", password: "mailer password 1" };
/** What the console tells clients to connect to; the test itself connects to 127.0.0.1. */
const GATEWAY_HOST = "smtp.fanout.test";
const RECIPIENTS = ["ann@example.org", "bo@example.org", "cy@example.org"];

/** 域帐号管理 as a department user works it. */
class SmtpAccountsPage {
  constructor(readonly page: Page) {}

  async add(account: { username: string; password?: string }) {
    const form = this.page.getByTestId("smtp-account-create-form");
    await form.getByTestId("smtp-username").fill(account.username);
    await form.getByTestId("smtp-password").fill(account.password ?? "");
    await form.getByRole("button").click();
  }

  async setting(name: "host" | "port" | "tls") {
    return this.page.getByTestId(`smtp-${name}`).textContent();
  }

  row(username: string) {
    return this.page.getByTestId(`smtp-account-row-${username}`);
  }
}

describe.skipIf(!run)("SMTP accounts in Chromium", () => {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let gatewayPort = 0;

  beforeAll(async () => {
    gatewayPort = await freePort();
    server = await startServer({
      FANOUT_ADMIN_EMAIL: ADMIN.email,
      FANOUT_ADMIN_PASSWORD: ADMIN.password,
      FANOUT_GATEWAY_PORT: String(gatewayPort),
      FANOUT_GATEWAY_HOST: GATEWAY_HOST,
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const newPage = async (options: { locale?: string; width?: number } = {}) =>
    (await browser!.newContext({ locale: options.locale ?? "en-US", viewport: options.width ? { width: options.width, height: 800 } : undefined })).newPage();

  it("lets a department user add an account, see the client settings with the entrance's port, manage it at 390 px, and see what a client submits with it as a task with its deliveries", async () => {
    const page = await newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("dialog", (dialog) => void dialog.accept());
    const login = new LoginPage(page, server!.url);
    const console = new ConsolePage(page, server!.url);
    await login.signIn(ADMIN.email, ADMIN.password);
    await console.createDepartment("Mailers", 100);
    await console.createUser({ ...DEPARTMENT_USER, role: "department", department: "Mailers" });
    // The department's sending domain and sender (a new installation requires verified domains; this one's DNS cannot be published).
    await console.allowUnverifiedDomains();
    await console.addDomain("mail.example.com");
    await console.addSender("news@mail.example.com");
    // The company page: the entrance's address and TLS state (服务器IP).
    await console.visit("/admin/company");
    expect(await page.getByTestId("server-ip").textContent()).toBe(`${GATEWAY_HOST}:${gatewayPort} · no TLS`);
    // 域名 … [帐号管理] leads to the accounts of the domain's department.
    await page.getByTestId("manage-accounts-mail.example.com").click();
    await page.waitForURL(/\/smtp-accounts\?department=[0-9a-f-]{36}$/);
    expect(await page.locator("h1").textContent()).toBe("SMTP accounts of Mailers");
    await console.signOut();

    await login.signIn(DEPARTMENT_USER.email, DEPARTMENT_USER.password);
    await page.getByTestId("nav-smtp-accounts").click();
    await page.getByTestId("smtp-client-settings").waitFor();
    const accounts = new SmtpAccountsPage(page);
    expect(await accounts.setting("host")).toBe(GATEWAY_HOST);
    expect(await accounts.setting("port")).toBe(String(gatewayPort));
    expect(await accounts.setting("tls")).toBe("No TLS: use only on a trusted network");
    expect(await page.getByTestId("smtp-entrance-off").count()).toBe(0);

    // No password typed: one is generated and shown once.
    await accounts.add({ username: "Desk01" });
    const generated = page.getByTestId("smtp-generated-password");
    await generated.waitFor();
    const password = (await generated.textContent()) ?? "";
    expect(password).toMatch(/^[A-Za-z0-9]{20}$/);
    await accounts.row("desk01").waitFor();
    expect(await accounts.row("desk01").getByTestId("smtp-account-limits").textContent()).toBe("No limits");
    await page.reload();
    await accounts.row("desk01").waitFor();
    expect(await page.getByTestId("smtp-generated-password").count()).toBe(0);

    // The same name again is refused in the reader's words, on the field.
    await accounts.add({ username: "DESK01", password: "a chosen password" });
    await expect.poll(() => page.getByTestId("smtp-account-create-form").getByTestId("form-error").textContent()).toBe('"desk01" is already taken by another SMTP account');

    // Limits: a bad range is named; a good one is shown in the row.
    await page.getByTestId("smtp-limits-desk01").click();
    const limits = page.getByTestId("smtp-limits-form-desk01");
    await limits.getByTestId("smtp-limit-recipients").fill("200");
    await limits.getByTestId("smtp-limit-ips").fill("10.0.0.0/40");
    await limits.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => limits.getByTestId("form-error").textContent()).toBe('"10.0.0.0/40" is not an IPv4 or IPv6 address or CIDR range');
    await limits.getByTestId("smtp-limit-ips").fill("127.0.0.0/8, ::1");
    await limits.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => accounts.row("desk01").getByTestId("smtp-account-limits").textContent()).toBe("≤ 200 recipients/message · from 127.0.0.0/8, ::1/128");

    // A second account, disabled and then deleted.
    await accounts.add({ username: "spare", password: "spare password" });
    await accounts.row("spare").waitFor();
    expect(await page.getByTestId("smtp-generated-password").count()).toBe(0);
    await page.getByTestId("smtp-status-spare").getByRole("button", { name: "Disable" }).click();
    await accounts.row("spare").getByText("Disabled").waitFor();
    await page.getByTestId("smtp-delete-spare").getByRole("button").click();
    await accounts.row("spare").waitFor({ state: "detached" });

    // The operation log names each change, never a password.
    await console.visit("/logs");
    const log = (await page.getByTestId("audit-table").textContent()) ?? "";
    expect(log).toContain('Added SMTP account "desk01"');
    expect(log).toContain('Removed SMTP account "spare"');
    expect(log).not.toContain("spare password");

    // On a phone: the page's content fits the console's main column (the table scrolls inside itself).
    const phone = await newPage({ width: 390 });
    await new LoginPage(phone, server!.url).signIn(DEPARTMENT_USER.email, DEPARTMENT_USER.password);
    await openHydrated(phone, `${server!.url}/smtp-accounts`);
    await phone.getByTestId("smtp-client-settings").waitFor();
    const overflowing = await phone.evaluate(() => {
      const main = document.querySelector("main")!;
      const edge = main.getBoundingClientRect().right + 1;
      return [...main.querySelectorAll("*")]
        .filter((element) => !element.closest(".overflow-x-auto") && element.getBoundingClientRect().right > edge)
        .map((element) => element.getAttribute("data-testid") ?? element.tagName);
    });
    expect(overflowing).toEqual([]);
    expect(await phone.getByTestId("smtp-username").isVisible()).toBe(true);
    expect(await phone.getByTestId("smtp-port").isVisible()).toBe(true);

    // In Chinese.
    const chinese = await newPage({ locale: "zh-CN" });
    await new LoginPage(chinese, server!.url).signIn(DEPARTMENT_USER.email, DEPARTMENT_USER.password);
    await openHydrated(chinese, `${server!.url}/smtp-accounts`);
    expect(await chinese.locator("h1").textContent()).toBe("域帐号管理");
    expect(await chinese.getByTestId("smtp-tls").textContent()).toBe("无 TLS 加密：仅限在可信网络中使用");

    // A group-send client logs in with the account (from loopback, inside its ranges) and submits one message to three.
    const client = nodemailer.createTransport({ host: "127.0.0.1", port: gatewayPort, secure: false, ignoreTLS: true, auth: { user: "Desk01", pass: password } });
    try {
      const info = await client.sendMail({ from: '"Mailers" <news@mail.example.com>', to: RECIPIENTS, subject: "Client newsletter", text: "Hello from the group-send client", html: "<p>Hello from the group-send client</p>" });
      expect([...info.accepted].sort()).toEqual(RECIPIENTS);
    } finally {
      client.close();
    }
    const impostor = nodemailer.createTransport({ host: "127.0.0.1", port: gatewayPort, secure: false, ignoreTLS: true, auth: { user: "desk01", pass: "not the password" } });
    const refused = await impostor.sendMail({ from: "news@mail.example.com", to: RECIPIENTS[0], subject: "Not sent", text: "x" }).then(
      () => null,
      (error: { responseCode?: number }) => error.responseCode,
    );
    impostor.close();
    expect(refused).toBe(535);

    // The department user sees it among the tasks, named by the account, and its deliveries on the task page.
    await page.getByTestId("nav-tasks").click();
    const row = page.getByTestId("task-row-Client newsletter");
    await row.waitFor();
    expect(await row.getByTestId("task-kind-smtp").textContent()).toBe("SMTP");
    expect(await row.getByTestId("task-smtp-account").textContent()).toBe("desk01");
    await row.getByTestId("task-link-Client newsletter").click();
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
    expect(await page.getByTestId("task-detail-smtp-account").textContent()).toBe("desk01");
    expect(await page.getByTestId("task-detail-client-ip").textContent()).toBe("127.0.0.1");
    await page.waitForSelector("[data-testid=task-progress][data-status=completed]", { timeout: 30_000 });
    await page.reload();
    const deliveries = page.getByTestId("deliveries-table").locator("tbody tr[data-testid^=delivery-]");
    await expect.poll(() => deliveries.count()).toBe(RECIPIENTS.length);
    const shown = await deliveries.evaluateAll((rows) => rows.map((element) => [element.getAttribute("data-testid"), element.querySelectorAll("td")[1]?.textContent]));
    expect(shown.sort()).toEqual(RECIPIENTS.map((email) => [`delivery-${email}`, "Sent"]));
    // The account's last use is the client's address.
    await console.visit("/smtp-accounts");
    expect(await accounts.row("desk01").getByTestId("smtp-account-last-used").textContent()).toMatch(/127\.0\.0\.1$/);
    expect(errors).toEqual([]);
  }, 180_000);
});
