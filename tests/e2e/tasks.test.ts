import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { readEnv } from "@/lib/config/env";
import { formatInZone, zonedLocalTime } from "@/lib/time/zone";
import { browserTestsEnabled } from "../helpers/browser";
import { useConsole } from "./harness";
import { ConsolePage, openHydrated } from "./pages";

const run = browserTestsEnabled();
/** The server reads the same environment, so its FANOUT_TIMEZONE is this one. */
const TIME_ZONE = readEnv().timeZone;
const ADDRESSES = ["reader1@example.org", "reader2@example.org", "reader3@example.org", "reader4@example.org", "reader5@example.org", "reader6@example.org"];

/** The Tasks section as a person uses it. */
class TasksPage {
  constructor(
    readonly page: Page,
    private readonly console: ConsolePage,
  ) {}

  async fillForm(task: { template?: string; pool?: string; sender?: string; name?: string; limit?: number | "all" }) {
    const form = this.page.getByTestId("task-form");
    if (task.template) await form.getByTestId("task-template").selectOption({ label: task.template });
    if (task.name) await form.getByTestId("task-name").fill(task.name);
    if (task.pool) await form.getByTestId(`task-pool-${task.pool}`).check();
    if (task.sender) await form.getByTestId("task-sender").selectOption({ label: task.sender });
    if (task.limit === "all") await form.getByTestId("task-amount-all").check();
    else if (task.limit !== undefined) {
      await form.getByTestId("task-amount-some").check();
      await form.getByTestId("task-limit").fill(String(task.limit));
    }
  }

  /** Asks for the confirmation step; a refusal stays on the form. */
  async review() {
    await this.page.getByTestId("task-form").locator("button[type=submit]").click();
  }

  /** Reviews the form and confirms it on the confirmation step. */
  async submit() {
    await this.review();
    await this.page.getByTestId("confirm-submit").click();
  }

  async status() {
    return this.page.getByTestId("task-progress").getAttribute("data-status");
  }

  async act(name: "pause" | "resume" | "cancel", expected: string) {
    await this.page.getByTestId(`task-${name}-form`).getByRole("button").click();
    await this.page.waitForSelector(`[data-testid=task-progress][data-status=${expected}]`);
  }

  async filterDeliveries(filters: { q?: string; status?: string }) {
    await this.page.getByTestId("delivery-search").fill(filters.q ?? "");
    await this.page.getByTestId("delivery-status").selectOption(filters.status ?? "");
    await this.page.getByTestId("delivery-filter").click();
  }

  deliveryRows() {
    return this.page.getByTestId("deliveries-table").locator("tbody tr[data-testid^=delivery-]");
  }

  async deliveryEmails() {
    return this.deliveryRows().evaluateAll((rows) => rows.map((row) => row.getAttribute("data-testid")!.replace(/^delivery-/, "")));
  }

  async visitList() {
    await this.console.visit("/tasks");
    await this.page.getByTestId("tasks-table").waitFor();
  }
}

describe.skipIf(!run)("send tasks in Chromium", () => {
  const app = useConsole();

  it("creates a task for a pool, watches it complete, reads the delivery log, schedules, edits, pauses, resumes and cancels a copy, and resends to non-openers in Chinese", async () => {
    const { page, errors, console } = await app.signedInAdmin();
    const tasks = new TasksPage(page, console);
    // Four sends of quota: the pool has five addresses to send to.
    await console.createDepartment("Outreach", 4);

    await console.allowUnverifiedDomains();
    await console.addDomain("mail.example.com");
    await console.addSender("news@mail.example.com", "Newsroom");

    await console.visit("/templates/new");
    await page.getByTestId("template-name").fill("Spring news");
    await page.getByTestId("template-subject").fill("Spring news for {{ name }}");
    await page.getByTestId("mode-html").click();
    await page.getByTestId("html-source").fill('<p>你好 {{ name }}</p>\n<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>');
    await page.getByTestId("template-save").click();
    await page.waitForURL(/\/templates\/[0-9a-f-]{36}$/);

    const csv = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fanout-task-")), "readers.csv");
    fs.writeFileSync(csv, `email,name\n${ADDRESSES.map((email, index) => `${email},Reader ${index + 1}`).join("\n")}\n`);
    await console.visit("/pools");
    await page.getByTestId("pool-name").fill("Readers");
    await page.getByTestId("pool-create-form").getByRole("button").click();
    await page.getByTestId("import-pool-Readers").click();
    await page.getByTestId("upload-file").setInputFiles(csv);
    await page.getByTestId("upload-submit").click();
    await page.getByTestId("mapping-form").getByRole("button").click();
    await page.waitForSelector("[data-testid=import-progress][data-status=completed]");

    await console.visit("/suppressions");
    await page.getByTestId("suppression-addresses").fill(ADDRESSES[0]!);
    await page.getByTestId("suppression-add-form").getByRole("button").click();
    await page.getByTestId(`suppression-row-${ADDRESSES[0]}`).waitFor();

    // Tasks → New task: choosing the template names the task, choosing the sender fills the display name.
    await page.getByTestId("nav-tasks").click();
    await page.getByTestId("new-task").click();
    await tasks.fillForm({ template: "Spring news · v1", pool: "Readers", sender: "news@mail.example.com" });
    expect(await page.getByTestId("task-name").inputValue()).toBe("Spring news");
    expect(await page.getByTestId("task-from-name").inputValue()).toBe("Newsroom");
    await expect.poll(() => page.getByTestId("audience-size").textContent()).toBe("5 addresses will receive it · 1 suppressed are left out");

    // Everyone does not fit the quota: the refusal is shown in the form, before any confirmation.
    await tasks.review();
    await expect.poll(() => page.getByTestId("task-form").getByTestId("form-error").textContent()).toBe('Department "Outreach" has 4 sends left of its quota; this needs 5');

    // Three do. Scheduled a few seconds ahead, the page shows it waiting and then, polling, watches the
    // runner send it through the outbox, without a reload.
    await tasks.fillForm({ limit: 3 });
    await page.getByTestId("task-when-later").check();
    await page.getByTestId("task-scheduled-at").fill(formatInZone(new Date(Date.now() + 12_000), TIME_ZONE).replace(" ", "T"));
    await tasks.submit();
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
    const taskUrl = page.url();
    await expect.poll(() => tasks.status()).toBe("scheduled");
    expect(await page.getByTestId("task-header-status").textContent()).toBe("Scheduled");
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      new MutationObserver(() => {
        const panel = document.querySelector("[data-testid=task-progress]");
        const bar = document.querySelector("[data-testid=progress-bar]");
        if (panel) seen.push(`${panel.getAttribute("data-status")}:${bar?.getAttribute("data-percent")}`);
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await page.waitForSelector("[data-testid=task-progress][data-status=completed]", { timeout: 120_000 });
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(seen.at(-1)).toBe("completed:100");
    expect(page.url()).toBe(taskUrl);
    await expect.poll(() => page.getByTestId("task-header-status").textContent()).toBe("Completed");
    expect(await page.getByTestId("count-sent").textContent()).toBe("3");
    expect(await page.getByTestId("count-suppressed").textContent()).toBe("1");
    expect(await page.getByTestId("count-queued").textContent()).toBe("0");
    expect(await page.getByTestId("count-total").textContent()).toBe("4");
    expect(await page.getByTestId("task-detail-pools").textContent()).toBe("Readers");
    expect(await page.getByTestId("task-detail-sender").textContent()).toBe("Newsroom <news@mail.example.com>");
    await expect.poll(() => tasks.deliveryRows().count()).toBe(4);

    // The delivery log: every recipient, newest first, searchable by address, filtered by status.
    expect(await tasks.deliveryEmails()).toEqual(ADDRESSES.slice(0, 4).reverse());
    await tasks.filterDeliveries({ q: "reader3" });
    await expect.poll(() => tasks.deliveryEmails()).toEqual(["reader3@example.org"]);
    expect(await page.getByTestId("delivery-reader3@example.org").textContent()).toContain("Sent");
    await tasks.filterDeliveries({ status: "suppressed" });
    await expect.poll(() => tasks.deliveryEmails()).toEqual([ADDRESSES[0]]);
    await tasks.filterDeliveries({ status: "sent" });
    await expect.poll(() => tasks.deliveryEmails()).toEqual(ADDRESSES.slice(1, 4).reverse());
    await tasks.filterDeliveries({ q: "reader1", status: "sent" });
    await expect.poll(() => tasks.deliveryRows().count()).toBe(0);

    // Duplicate opens the form filled in; scheduled for later, it can be edited, paused, resumed and cancelled.
    await openHydrated(page, taskUrl);
    await page.getByTestId("task-duplicate").click();
    await page.getByTestId("task-form").waitFor();
    expect(await page.getByTestId("task-name").inputValue()).toBe("Spring news (copy)");
    expect(await page.getByTestId("task-pool-Readers").isChecked()).toBe(true);
    expect(await page.getByTestId("task-limit").inputValue()).toBe("3");
    await tasks.fillForm({ limit: 1 });
    await page.getByTestId("task-when-later").check();
    await page.getByTestId("task-scheduled-at").fill(zonedLocalTime(new Date(Date.now() + 86_400_000), TIME_ZONE));
    await tasks.submit();
    await page.waitForURL((url) => /\/tasks\/[0-9a-f-]{36}$/.test(url.pathname) && url.href !== taskUrl);
    await expect.poll(() => tasks.status()).toBe("scheduled");
    await page.getByTestId("task-edit").click();
    await page.getByTestId("task-name").fill("Spring news, later");
    await tasks.submit();
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
    await expect.poll(() => page.locator("h1").textContent()).toBe("Spring news, later");
    await tasks.act("pause", "paused");
    await tasks.act("resume", "scheduled");
    await tasks.act("cancel", "cancelled");
    // The status badge follows the live progress feed; the actions follow the server action's refresh.
    await expect.poll(() => page.getByTestId("task-actions").locator("form").count()).toBe(0);

    // The list shows both with their status; in Chinese it is 群发任务管理.
    await tasks.visitList();
    expect(await page.getByTestId("task-row-Spring news").textContent()).toContain("Completed");
    expect(await page.getByTestId("task-row-Spring news, later").textContent()).toContain("Cancelled");
    await page.getByTestId("locale-zh-CN").click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("群发任务管理");
    expect(await page.getByTestId("nav-tasks").textContent()).toBe("群发任务管理");
    expect(await page.getByTestId("task-row-Spring news").textContent()).toContain("已完成");

    // 重发给未打开者, in Chinese: nobody opened the three messages, so all three get it again, under a new subject.
    await openHydrated(page, taskUrl);
    const followUp = page.getByTestId("follow-up-card");
    expect(await followUp.locator("h2").textContent()).toBe("重发给未打开者");
    expect(await page.getByTestId("follow-up-count").textContent()).toContain("目前有 3 人尚未打开");
    await page.getByTestId("follow-up-subject").fill("再提醒一次：{{ name }}");
    await page.getByTestId("follow-up-days").fill("0");
    await followUp.locator("button[type=submit]").click();
    // One of the four sends is left: the follow-up does not fit, and the form says so and stays.
    await expect.poll(() => followUp.getByRole("alert").first().textContent()).toBe("部门“Outreach”剩余配额 1 封，此操作需要 3 封。");
    await console.visit("/admin/departments");
    await page.getByTestId("edit-department-Outreach").click();
    await page.getByTestId("department-edit-form-Outreach").getByTestId("department-quota").fill("10");
    await page.getByTestId("department-edit-form-Outreach").locator("button[type=submit]").click();
    await page.getByTestId("edit-department-Outreach").waitFor();
    await openHydrated(page, taskUrl);
    await page.getByTestId("follow-up-subject").fill("再提醒一次：{{ name }}");
    await page.getByTestId("follow-up-days").fill("0");
    await followUp.locator("button[type=submit]").click();
    await page.waitForURL((url) => /\/tasks\/[0-9a-f-]{36}$/.test(url.pathname) && url.href !== taskUrl);
    expect(await page.getByTestId("task-detail-follow-up-of").textContent()).toBe("任务开始时仍未打开“Spring news”的收件人");
    expect(await page.getByTestId("task-detail-subject").textContent()).toBe("再提醒一次：{{ name }}");
    await page.waitForSelector("[data-testid=task-progress][data-status=completed]", { timeout: 60_000 });
    await expect.poll(() => page.getByTestId("count-sent").textContent()).toBe("3");
    await expect.poll(() => page.getByTestId("task-actions").locator("a[data-testid=task-edit]").count()).toBe(0);
    await tasks.visitList();
    expect(await page.getByTestId("task-row-Spring news · 重发").getByTestId("task-kind-follow-up").textContent()).toBe("重发");
    await page.getByTestId("locale-en").click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Send tasks");

    expect(errors).toEqual([]);
  }, 240_000);
});
