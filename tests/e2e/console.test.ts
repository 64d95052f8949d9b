import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { browserTestsEnabled, launchChromium } from "../helpers/browser";
import { startServer, type RunningServer } from "../helpers/server";
import { ConsolePage, LoginPage } from "./pages";

const ADMIN = { email: "admin@fanout.test", password: "admin password 1" };
const run = browserTestsEnabled();

describe.skipIf(!run)("console in Chromium", () => {
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer({ FANOUT_ADMIN_EMAIL: ADMIN.email, FANOUT_ADMIN_PASSWORD: ADMIN.password });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function freshPage(): Promise<Page> {
    const context = await browser.newContext({ locale: "en-US" });
    return context.newPage();
  }

  it("lets an admin create a department and its user, who then sees only that department; a manager only reads", async () => {
    const page = await freshPage();
    const login = new LoginPage(page, server.url);
    const console = new ConsolePage(page, server.url);

    await login.signIn(ADMIN.email, ADMIN.password);
    expect(await console.navigationIds()).toEqual(
      expect.arrayContaining(["nav-dashboard", "nav-pools", "nav-reports", "nav-logs", "nav-company", "nav-departments", "nav-users", "nav-api-keys"]),
    );
    await console.createDepartment("Sales", 500);
    await console.createDepartment("Support", 300);
    // The same probe that finds no controls for the manager finds them for the admin.
    expect(await console.mutatingControls()).toBeGreaterThan(0);
    await console.createUser({ email: "seller@fanout.test", password: "seller password", role: "department", department: "Sales" });
    await console.createUser({ email: "boss@fanout.test", password: "manager password", role: "manager" });
    await console.signOut();

    await login.signIn("seller@fanout.test", "seller password");
    await expect.poll(() => page.getByTestId("header-scope").textContent()).toContain("Sales");
    const departmentNav = await console.navigationIds();
    expect(departmentNav).not.toContain("nav-departments");
    expect(departmentNav).not.toContain("nav-users");
    expect(departmentNav).not.toContain("nav-company");
    expect(await page.getByTestId("department-quota").textContent()).toContain("Sales");
    expect(await page.getByTestId("department-allocated").textContent()).toBe("500");
    await console.visit("/admin/departments");
    await page.getByTestId("forbidden").waitFor();
    await console.visit("/logs");
    const log = (await page.getByTestId("audit-table").textContent()) ?? "";
    expect(log).toContain("Sales");
    expect(log).not.toContain("Support");
    expect(log).not.toContain("boss@fanout.test");
    await console.signOut();

    await login.signIn("boss@fanout.test", "manager password");
    const managerNav = await console.navigationIds();
    expect(managerNav).toContain("nav-reports");
    expect(managerNav).not.toContain("nav-pools");
    expect(managerNav).not.toContain("nav-tasks");
    expect(managerNav).not.toContain("nav-departments");
    for (const path of ["/", "/reports", "/logs", "/admin/departments", "/admin/users", "/admin/api-keys", "/admin/company"]) {
      await console.visit(path);
      await page.getByTestId("sidebar").waitFor();
      expect(await console.mutatingControls(), path).toBe(0);
    }
    await console.visit("/admin/users");
    await page.getByTestId("forbidden").waitFor();
  });

  it("answers bad sign-ins clearly without telling which accounts exist", async () => {
    const page = await freshPage();
    const login = new LoginPage(page, server.url);
    await login.open();
    await login.submit(ADMIN.email, "wrong password");
    const wrong = await login.error();
    expect(wrong).toBe("Wrong e-mail or password.");
    await login.submit("nobody@fanout.test", "wrong password");
    await expect.poll(() => page.getByTestId("login-error").textContent()).toBe(wrong);
  });

  it("switches the console to Simplified Chinese and back", async () => {
    const page = await freshPage();
    const login = new LoginPage(page, server.url);
    await login.signIn(ADMIN.email, ADMIN.password);
    await page.getByTestId("locale-zh-CN").click();
    await expect.poll(() => page.getByTestId("nav-pools").textContent()).toBe("地址池管理");
    expect(await page.getByTestId("nav-reports").textContent()).toBe("群发统计");
    await page.getByTestId("locale-en").click();
    await expect.poll(() => page.getByTestId("nav-pools").textContent()).toBe("Address pools");
  });
});
