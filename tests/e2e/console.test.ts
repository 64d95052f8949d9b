import { describe, expect, it } from "vitest";
import { browserTestsEnabled } from "../helpers/browser";
import { ADMIN, useConsole } from "./harness";
import { ConsolePage, LoginPage } from "./pages";

const run = browserTestsEnabled();

describe.skipIf(!run)("console in Chromium", () => {
  const app = useConsole();
  const freshPage = () => app.newPage();

  it("lets an admin create a department and its user, who then sees only that department; a manager only reads", async () => {
    const page = await freshPage();
    const login = new LoginPage(page, app.url());
    const console = new ConsolePage(page, app.url());

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
    expect(managerNav).toContain("nav-tasks");
    expect(managerNav).toContain("nav-automations");
    expect(managerNav).not.toContain("nav-departments");
    for (const path of ["/", "/tasks", "/automations", "/reports", "/logs", "/admin/departments", "/admin/users", "/admin/api-keys", "/admin/company"]) {
      await console.visit(path);
      await page.getByTestId("sidebar").waitFor();
      expect(await console.mutatingControls(), path).toBe(0);
    }
    await console.visit("/admin/users");
    await page.getByTestId("forbidden").waitFor();
  });

  it("answers bad sign-ins clearly without telling which accounts exist", async () => {
    const page = await freshPage();
    const login = new LoginPage(page, app.url());
    await login.open();
    await login.submit(ADMIN.email, "wrong password");
    const wrong = await login.error();
    expect(wrong).toBe("Wrong e-mail or password.");
    await login.submit("nobody@fanout.test", "wrong password");
    await expect.poll(() => page.getByTestId("login-error").textContent()).toBe(wrong);
  });

  it("switches the console to Simplified Chinese and back", async () => {
    const page = await freshPage();
    const login = new LoginPage(page, app.url());
    await login.signIn(ADMIN.email, ADMIN.password);
    await page.getByTestId("locale-zh-CN").click();
    await expect.poll(() => page.getByTestId("nav-pools").textContent()).toBe("地址池管理");
    expect(await page.getByTestId("nav-reports").textContent()).toBe("群发统计");
    await page.getByTestId("locale-en").click();
    await expect.poll(() => page.getByTestId("nav-pools").textContent()).toBe("Address pools");
  });
});
