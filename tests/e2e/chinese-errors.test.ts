/**
 * In 简体中文, each console form given bad input answers in Chinese: what the form and its fields
 * show carries no Latin text but the user's own input and technical names (tests/helpers/latin.ts).
 * The browser's own checks (required, type=email, min) are switched off first, so the server's
 * refusal is what the page shows — the case of a script, an old browser or a crafted request.
 * The operation log's action types, roles and summaries are Chinese too.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { browserTestsEnabled } from "../helpers/browser";
import { latinLeftIn } from "../helpers/latin";
import { ADMIN, useConsole } from "./harness";
import { ConsolePage, LoginPage } from "./pages";

const run = browserTestsEnabled();

type BadInput = { fill?: Record<string, string>; select?: Record<string, string> };

/** Fills a form by its controls' names, submits it with the browser's checks off, and returns what it shows in red. */
async function submitBadly(page: Page, formTestId: string, input: BadInput): Promise<string> {
  const form = page.getByTestId(formTestId).first();
  await form.waitFor();
  await form.evaluate((element) => {
    const formElement = element instanceof HTMLFormElement ? element : element.querySelector("form")!;
    formElement.noValidate = true;
    for (const control of formElement.querySelectorAll("input, textarea, select")) {
      control.removeAttribute("required");
      control.removeAttribute("min");
      control.removeAttribute("minlength");
      control.removeAttribute("pattern");
      if (control.getAttribute("type") === "email" || control.getAttribute("type") === "number") control.setAttribute("type", "text");
    }
  });
  for (const [name, value] of Object.entries(input.fill ?? {})) await form.locator(`[name="${name}"]`).first().fill(value);
  for (const [name, value] of Object.entries(input.select ?? {})) await form.locator(`select[name="${name}"]`).first().selectOption(value);
  await form.locator('button[type="submit"]').last().click();
  const shown = form.locator('[role="alert"], [data-testid="form-error"]');
  await shown.first().waitFor();
  return (await shown.allTextContents()).join(" | ");
}

describe.skipIf(!run)("console forms in Chinese, given bad input", () => {
  const app = useConsole();

  it("answer every refusal in Chinese, quoting only what the user typed", async () => {
    const page = await app.newPage();
    const console = new ConsolePage(page, app.url());
    await new LoginPage(page, app.url()).signIn(ADMIN.email, ADMIN.password);
    // What the forms below need to exist: a department with a pool, a sender, and a template.
    await console.createDepartment("华东区", 1000);
    await console.allowUnverifiedDomains();
    await console.addDomain("mail.example.com");
    await console.addSender("news@mail.example.com");
    await console.visit("/pools");
    await page.getByTestId("pool-name").fill("客户");
    await page.getByTestId("pool-create-form").getByRole("button").click();
    await page.getByTestId("view-pool-客户").click();
    await page.getByTestId("contact-add-form").waitFor();
    const poolPath = new URL(page.url()).pathname;

    await page.context().addCookies([{ name: "fanout-locale", value: "zh-CN", url: app.url() }]);
    const cases: { path: string; form: string; input: BadInput }[] = [
      { path: "/admin/company", form: "company-form", input: { fill: { name: "", quotaTotal: "-5" } } },
      { path: "/admin/departments", form: "department-create-form", input: { fill: { name: "", quotaAllocated: "很多" } } },
      { path: "/admin/departments", form: "department-create-form", input: { fill: { name: "华东区", quotaAllocated: "10" } } },
      { path: "/admin/users", form: "user-create-form", input: { fill: { email: "not-an-address", password: "short" } } },
      { path: "/pools", form: "pool-create-form", input: { fill: { name: "" } } },
      { path: "/pools", form: "pool-create-form", input: { fill: { name: "客户" } } },
      { path: poolPath, form: "contact-add-form", input: { fill: { email: "zhang@@example.com" } } },
      { path: "/suppressions", form: "suppression-add-form", input: { fill: { addresses: "" } } },
      { path: "/senders", form: "domain-add-form", input: { fill: { domain: "no_such domain" } } },
      { path: "/senders", form: "sender-add-form", input: { fill: { address: "someone@elsewhere.example" } } },
      { path: "/senders", form: "sender-add-form", input: { fill: { address: "news@mail.example.com" } } },
      { path: "/smtp-accounts", form: "smtp-account-create-form", input: { fill: { username: "Bad Name!", password: "x" } } },
      { path: "/tasks/new", form: "task-form", input: { fill: { name: "" } } },
    ];
    const failures: string[] = [];
    for (const { path, form, input } of cases) {
      await console.visit(path);
      const shown = await submitBadly(page, form, input);
      const typed = Object.values(input.fill ?? {});
      const latin = latinLeftIn(shown, typed);
      if (latin !== "" || !/[\u4e00-\u9fff]/.test(shown)) failures.push(`${path} ${form}: “${shown}” (Latin left: ${latin})`);
    }
    expect(failures).toEqual([]);

    // The operation log names each action type and role in Chinese, in its rows and its filter.
    await console.visit("/logs");
    const actionCells = await page.getByTestId("audit-table").locator("tbody tr td:nth-child(2)").allTextContents();
    expect(actionCells.length).toBeGreaterThan(5);
    expect(actionCells.filter((cell) => latinLeftIn(cell) !== "")).toEqual([]);
    expect(actionCells).toContain("新建部门");
    const filterOptions = await page.getByTestId("log-filter-action").locator("option").allTextContents();
    expect(filterOptions.filter((option) => latinLeftIn(option) !== "")).toEqual([]);
    const roles = await page.getByTestId("audit-table").locator("tbody tr td:nth-child(4) span").allTextContents();
    expect(roles).toContain("(管理员)");
    // And what each row says happened: Chinese around the names the user typed.
    const summaries = await page.getByTestId("audit-table").locator("tbody tr td:nth-child(3)").allTextContents();
    const typedEverywhere = ["华东区", "客户", "mail.example.com", "news@mail.example.com", ADMIN.email];
    expect(summaries.filter((summary) => latinLeftIn(summary, typedEverywhere) !== "" || !/[\u4e00-\u9fff]/.test(summary))).toEqual([]);
    expect(summaries).toContain("新建地址池“客户”");
  });
});
