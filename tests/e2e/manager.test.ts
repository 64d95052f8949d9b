/**
 * A manager in Chromium (issue 13): Tasks in the menu, the readable department's tasks only and no
 * New task or task controls, a task's report; the dashboard with today, this week and this month,
 * failures by category, recent tasks and the readable department's quota as a bar.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "@/db/client";
import { departments } from "@/db/schema";
import { readEnv } from "@/lib/config/env";
import { resolvePeriod } from "@/lib/reports/periods";
import { createTask } from "@/lib/sending/tasks";
import { browserTestsEnabled, launchChromium } from "../helpers/browser";
import { makeUser } from "../helpers/factories";
import { addRollupRows } from "../helpers/rollup";
import { makeSendingSetup, taskInput } from "../helpers/sending";
import { startServer, type RunningServer } from "../helpers/server";
import { ADMIN } from "./harness";
import { LoginPage, openHydrated } from "./pages";

const run = browserTestsEnabled();
const PASSWORD = "manager password 1";
const MANAGER = "reader@fanout.test";

describe.skipIf(!run)("a manager's tasks and dashboard in Chromium", () => {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let dataDir = "";
  let readableName = "";
  let otherName = "";
  const today = resolvePeriod({ period: "today" }, new Date(), readEnv().timeZone);

  beforeAll(async () => {
    // Seeded before the server starts, owning the embedded database.
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-e2e-manager-"));
    const handle = await openDatabase({ dataDir });
    try {
      await seed(handle);
    } finally {
      await handle.close();
    }
    [server, browser] = await Promise.all([startServer({ FANOUT_ADMIN_EMAIL: ADMIN.email, FANOUT_ADMIN_PASSWORD: ADMIN.password }, dataDir), launchChromium()]);
  });

  async function seed({ db }: DatabaseHandle) {
    const readable = await makeSendingSetup(db, { count: 3, quota: 1000 });
    const other = await makeSendingSetup(db, { count: 3, quota: 500 });
    await makeUser(db, "manager", { email: MANAGER, password: PASSWORD, managed: [readable.departmentId] });
    const tomorrow = new Date(Date.now() + 86_400_000);
    await createTask(readable.ctx, taskInput(readable, { name: "Readable letter", scheduledAt: tomorrow }));
    await createTask(other.ctx, taskInput(other, { name: "Hidden letter", scheduledAt: tomorrow }));
    await db.update(departments).set({ quotaUsed: 200, quotaReserved: 100 }).where(eq(departments.id, readable.departmentId));
    const [a] = await db.select({ name: departments.name }).from(departments).where(eq(departments.id, readable.departmentId));
    const [b] = await db.select({ name: departments.name }).from(departments).where(eq(departments.id, other.departmentId));
    readableName = a!.name;
    otherName = b!.name;
    await addRollupRows(db, [
      { day: today.from, departmentId: readable.departmentId, clientIp: "203.0.113.7", senderDomain: "a.example", recipientDomain: "example.net", sent: 120, failed: 6, userUnknown: 4, other: 2, bounced: 20, opened: 25 },
      { day: today.from, departmentId: other.departmentId, clientIp: "203.0.113.8", senderDomain: "b.example", recipientDomain: "example.net", sent: 80 },
    ]);
  }

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("shows a manager the readable department's tasks without controls, and the dashboard's periods, failures, tasks and quota bars", async () => {
    const baseUrl = server!.url;
    const context = await browser!.newContext({ locale: "en-US" });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await new LoginPage(page, baseUrl).signIn(MANAGER, PASSWORD);

    // The dashboard: today, this week and this month of the readable department only.
    for (const tile of ["dashboard-today", "dashboard-this-week", "dashboard-this-month"]) {
      expect(await page.getByTestId(tile).getByTestId("summary-sent").textContent(), tile).toBe("120");
    }
    // SMTP and the outbox never confirm delivery: the rates are of sent minus bounced, and the page says so.
    const today = page.getByTestId("dashboard-today");
    expect(await today.getByTestId("summary-reached").textContent()).toBe("100");
    expect(await today.getByTestId("summary-open-rate").textContent()).toContain("25%");
    expect(await today.getByTestId("rate-basis").textContent()).toContain("sent minus bounced (100)");
    await page.getByTestId("dashboard-failures").locator("svg .recharts-bar-rectangle").first().waitFor();
    expect(await page.getByTestId("recent-task-link").allTextContents()).toEqual(["Readable letter"]);
    const bars = page.getByTestId("quota-bar");
    expect(await bars.count()).toBe(1);
    expect(await bars.getAttribute("data-department")).toBe(readableName);
    expect(await bars.getByTestId("quota-bar-text").textContent()).toBe("200 sent and 100 reserved of 1,000");
    expect(await bars.getByTestId("quota-bar-used").getAttribute("style")).toContain("width: 20%");
    expect(await bars.getByTestId("quota-bar-reserved").getAttribute("style")).toContain("width: 10%");
    expect(await page.getByTestId("dashboard-quotas").textContent()).not.toContain(otherName);

    // Tasks from the menu: the readable department's task only, no New task.
    await page.getByTestId("nav-tasks").click();
    await page.waitForURL(/\/tasks$/);
    await page.getByTestId("tasks-table").waitFor();
    expect(await page.getByTestId("task-row-Readable letter").count()).toBe(1);
    expect(await page.getByTestId("task-row-Hidden letter").count()).toBe(0);
    expect(await page.getByTestId("new-task").count()).toBe(0);

    // Its page, without edit, pause, cancel or duplicate, and its report.
    await page.getByTestId("task-link-Readable letter").click();
    await page.getByTestId("task-status-card").waitFor();
    expect(await page.getByTestId("task-actions").count()).toBe(0);
    expect(await page.getByTestId("task-detail-department").textContent()).toBe(readableName);
    await page.getByTestId("task-report-link").click();
    await page.getByTestId("task-funnel").waitFor();
    await page.getByTestId("task-report-back").waitFor();

    // Creating one by its address is refused.
    await openHydrated(page, `${baseUrl}/tasks/new`);
    await page.getByTestId("forbidden").waitFor();

    expect(errors).toEqual([]);
    await context.close();
  });
});
