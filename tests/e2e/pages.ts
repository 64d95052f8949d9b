import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";

/** Page objects: the console as a person uses it, found by test ids. */

/** A select's option as the task form is filled: its value or label, or `{ label }`. */
type TaskOption = string | { label: string };

/**
 * Opens a console page and waits until React has hydrated it: typing or clicking before then
 * reaches plain HTML (a form submits natively and loses what it would have shown).
 */
export async function openHydrated(page: Page, url: string) {
  await page.goto(url);
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
}

/** How many pixels the page is wider than the window (0 or less: nothing scrolls sideways). */
export function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

export class LoginPage {
  constructor(
    private readonly page: Page,
    private readonly baseUrl: string,
  ) {}

  async open() {
    await openHydrated(this.page, `${this.baseUrl}/login`);
    await this.page.getByTestId("login-form").waitFor();
  }

  async submit(email: string, password: string) {
    await this.page.getByTestId("login-email").fill(email);
    await this.page.getByTestId("login-password").fill(password);
    await this.page.getByTestId("login-submit").click();
  }

  async signIn(email: string, password: string) {
    await this.open();
    await this.submit(email, password);
    await this.page.getByTestId("sidebar").waitFor();
  }

  async error(): Promise<string> {
    const alert = this.page.getByTestId("login-error");
    await alert.waitFor();
    return (await alert.textContent()) ?? "";
  }
}

export class ConsolePage {
  constructor(
    readonly page: Page,
    private readonly baseUrl: string,
  ) {}

  async visit(path: string) {
    await openHydrated(this.page, `${this.baseUrl}${path}`);
  }

  async navigationIds(): Promise<string[]> {
    const links = this.page.getByTestId("sidebar").locator("a[data-testid]");
    return links.evaluateAll((elements) => elements.map((element) => element.getAttribute("data-testid") ?? ""));
  }

  async signOut() {
    await this.page.getByTestId("sign-out").click();
    await this.page.getByTestId("login-form").waitFor();
  }

  /**
   * Opens the senders page and lets senders use unverified domains: a new installation requires
   * verified domains, and a test's domain has no DNS it could publish.
   */
  async allowUnverifiedDomains() {
    await this.visit("/senders");
    const setting = this.page.getByTestId("require-verified");
    await setting.getByRole("button", { name: /^☑/ }).click();
    await setting.getByRole("button", { name: /^☐/ }).waitFor();
  }

  /** On the senders page: adds a sender domain and waits for its row (named in lower case). */
  async addDomain(name: string) {
    await this.page.getByTestId("domain-name").fill(name);
    await this.page.getByTestId("domain-add-form").getByRole("button").click();
    await this.page.getByTestId(`domain-${name.toLowerCase()}`).waitFor();
  }

  /** On the senders page: adds a sender and waits for its row. */
  async addSender(address: string, name?: string) {
    await this.page.getByTestId("sender-address").fill(address);
    if (name !== undefined) await this.page.getByTestId("sender-name").fill(name);
    await this.page.getByTestId("sender-add-form").getByRole("button").click();
    await this.page.getByTestId(`sender-row-${address}`).waitFor();
  }

  async createDepartment(name: string, quota: number) {
    await this.visit("/admin/departments");
    const form = this.page.getByTestId("department-create-form");
    await form.getByTestId("department-name").fill(name);
    await form.getByTestId("department-quota").fill(String(quota));
    await form.getByRole("button").click();
    await this.page.getByTestId(`department-row-${name}`).waitFor();
  }

  async createUser(user: { email: string; password: string; role: "department" | "manager" | "admin"; department?: string }) {
    await this.visit("/admin/users");
    const form = this.page.getByTestId("user-create-form");
    await form.getByTestId("user-email").fill(user.email);
    await form.getByTestId("user-password").fill(user.password);
    await form.getByTestId("user-role").selectOption(user.role);
    if (user.department) await form.getByTestId("user-department").selectOption({ label: user.department });
    await form.getByRole("button", { name: /create|创建/i }).click();
    await this.page.getByTestId(`user-row-${user.email}`).waitFor();
  }

  /**
   * What a sending test starts from: a department with its quota, unverified domains allowed, and
   * one sender on the domain of `sender.address`.
   */
  async departmentWithSender(department: string, quota: number, sender: { address: string; name?: string }) {
    await this.createDepartment(department, quota);
    await this.allowUnverifiedDomains();
    await this.addDomain(sender.address.split("@")[1]!);
    await this.addSender(sender.address, sender.name);
  }

  /** On the API keys page: a key named `name` for the department named `department`; answers its secret, shown this once. */
  async createApiKey(name: string, department: string): Promise<string> {
    await this.visit("/admin/api-keys");
    await this.page.getByTestId("api-key-name").fill(name);
    await this.page.getByTestId("api-key-scope").selectOption({ label: department });
    await this.page.getByTestId("api-key-create-form").getByRole("button").click();
    return ((await this.page.getByTestId("api-key-secret").textContent()) ?? "").trim();
  }

  /**
   * Creates a pool named `name` and fills it from a CSV file through the import wizard (upload,
   * mapping as detected), waiting up to `timeoutMs` for the import to complete.
   */
  async importPool(name: string, csv: string, timeoutMs = 30_000) {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fanout-pool-")), "contacts.csv");
    try {
      fs.writeFileSync(file, csv);
      await this.visit("/pools");
      await this.page.getByTestId("pool-name").fill(name);
      await this.page.getByTestId("pool-create-form").getByRole("button").click();
      await this.page.getByTestId(`import-pool-${name}`).click();
      await this.page.getByTestId("upload-file").setInputFiles(file);
      await this.page.getByTestId("upload-submit").click();
      await this.page.getByTestId("mapping-form").getByRole("button").click();
      await this.page.waitForSelector("[data-testid=import-progress][data-status=completed]", { timeout: timeoutMs });
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  }

  /** A template written in the HTML view, with the files given as attachments, saved as version 1. */
  async writeTemplate(template: { name: string; subject: string; html: string; attachments?: string[] }) {
    await this.visit("/templates/new");
    await this.page.getByTestId("template-name").fill(template.name);
    await this.page.getByTestId("template-subject").fill(template.subject);
    await this.page.getByTestId("mode-html").click();
    await this.page.getByTestId("html-source").fill(template.html);
    for (const file of template.attachments ?? []) {
      await this.page.getByTestId("attachment-input").setInputFiles(file);
      await this.page.getByText(path.basename(file)).waitFor();
    }
    await this.page.getByTestId("template-save").click();
    await this.page.waitForURL(/\/templates\/[0-9a-f-]{36}$/);
  }

  /**
   * On the new-task form of the current page: the channel when not e-mail, the template, the pools
   * and segments, the sender, and a name and a limit when given (a string is an option's value or
   * label; `{ label }` only the label). Nothing is submitted; answers the form.
   */
  async fillTask(task: { channel?: "sms"; template: TaskOption; pools?: string[]; segments?: string[]; sender?: TaskOption; name?: string; limit?: number }) {
    const form = this.page.getByTestId("task-form");
    if (task.channel) await form.getByTestId(`task-channel-${task.channel}`).check();
    await form.getByTestId("task-template").selectOption(task.template);
    if (task.name !== undefined) await form.getByTestId("task-name").fill(task.name);
    for (const pool of task.pools ?? []) await form.getByTestId(`task-pool-${pool}`).check();
    for (const segment of task.segments ?? []) await form.getByTestId(`task-segment-${segment}`).check();
    if (task.sender !== undefined) await form.getByTestId("task-sender").selectOption(task.sender);
    if (task.limit !== undefined) {
      await form.getByTestId("task-amount-some").check();
      await form.getByTestId("task-limit").fill(String(task.limit));
    }
    return form;
  }

  /** Forms and buttons that create or change something on the current page. */
  async mutatingControls(): Promise<number> {
    return this.page.locator("main form[data-testid$='-form'], main button[data-testid^='edit-']").count();
  }
}

/** First-run setup (/setup): the first admin, made in the browser while none exists. */
export class SetupPage {
  constructor(private readonly page: Page) {}

  async createAdmin(admin: { name: string; email: string; password: string }) {
    const form = this.page.getByTestId("setup-form");
    await form.getByTestId("setup-name").fill(admin.name);
    await form.getByTestId("setup-email").fill(admin.email);
    await form.getByTestId("setup-password").fill(admin.password);
    await form.getByTestId("setup-confirm-password").fill(admin.password);
    await form.getByTestId("setup-submit").click();
  }
}

export type ChecklistStep = "department" | "domain" | "sender" | "pool" | "template" | "testSend" | "task";

/** The dashboard's getting-started checklist, reached through the sidebar's Dashboard link. */
export class GettingStartedChecklist {
  constructor(private readonly page: Page) {}

  async openDashboard() {
    await this.page.getByTestId("nav-dashboard").click();
    await this.page.waitForURL((url) => url.pathname === "/");
  }

  /** The steps ticked, in order, as the page shows them; null once it collapsed to "all done". */
  async ticked(): Promise<ChecklistStep[] | null> {
    await this.page.locator("[data-testid=checklist], [data-testid=checklist-done]").first().waitFor();
    if (await this.page.getByTestId("checklist-done").isVisible()) return null;
    return this.page
      .locator("[data-testid^=checklist-step-][data-done=true]")
      .evaluateAll((items) => items.map((item) => item.getAttribute("data-testid")!.replace("checklist-step-", ""))) as Promise<ChecklistStep[]>;
  }

  /** Follows a step's link from the dashboard. */
  async follow(step: ChecklistStep) {
    await this.page.getByTestId(`checklist-link-${step}`).click();
  }
}
