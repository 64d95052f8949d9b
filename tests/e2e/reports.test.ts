import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "@/db/client";
import { readEnv } from "@/lib/config/env";
import { resolvePeriod } from "@/lib/reports/periods";
import { createTask } from "@/lib/sending/tasks";
import { addDays } from "@/lib/time/zone";
import { browserTestsEnabled, launchChromium } from "../helpers/browser";
import { makeDepartment, makeUser } from "../helpers/factories";
import { addRollupRows } from "../helpers/rollup";
import { makeSendingSetup, taskInput } from "../helpers/sending";
import { startServer, type RunningServer } from "../helpers/server";
import { ADMIN } from "./harness";
import { LoginPage, openHydrated } from "./pages";

const run = browserTestsEnabled();
/** The server reads the same environment, so its FANOUT_TIMEZONE is this one. */
const TIME_ZONE = readEnv().timeZone;
const PASSWORD = "report password 1";
const AUGUST = { from: "2024-08-01", to: "2024-08-31" };

type DailyRow = {
  day: string;
  department: string;
  ip: string;
  sender: string;
  recipient: string;
  sent: number;
  failures?: [userUnknown: number, mailboxFull: number, rejected: number, other: number];
  engagement?: { opened: number; clicked: number; machineOpened: number; machineClicked: number; unsubscribed: number };
};

/** 群发统计 and 投递失败统计 as a person uses them. */
class ReportsPage {
  constructor(
    readonly page: Page,
    private readonly baseUrl: string,
  ) {}

  async open(path = "/reports") {
    await openHydrated(this.page, `${this.baseUrl}${path}`);
    await this.page.getByTestId("report-heading").waitFor();
  }

  async choosePeriod(period: string, heading: string) {
    await this.page.getByTestId(`period-${period}`).click();
    await this.page.waitForURL(new RegExp(`period=${period}`));
    await expect.poll(() => this.heading()).toBe(heading);
  }

  async chooseCustom(from: string, to: string) {
    await this.page.getByTestId("period-custom").click();
    await this.page.getByTestId("custom-range-form").waitFor();
    await this.page.getByTestId("custom-from").fill(from);
    await this.page.getByTestId("custom-to").fill(to);
    await this.page.getByTestId("custom-apply").click();
    await this.page.waitForURL(new RegExp(`from=${from}&to=${to}`));
    await this.page.getByTestId("report-heading").waitFor();
  }

  async heading() {
    return (await this.page.getByTestId("report-heading").textContent()) ?? "";
  }

  async tableText(testId: string) {
    return (await this.page.getByTestId(testId).textContent()) ?? "";
  }

  rows(testId: string) {
    return this.page.getByTestId(testId);
  }

  /** Rendered bars (or lines) inside a chart's card; recharts draws them once it has measured its box. */
  async chartMarks(chart: string, selector = ".recharts-bar-rectangle") {
    const marks = this.page.getByTestId(chart).locator(`svg ${selector}`);
    await marks.first().waitFor();
    return marks.count();
  }

  /** The CSV the page's download link points at, fetched with the page's session. */
  async downloadCsv(): Promise<{ text: string; rows: string[][]; disposition: string }> {
    const href = await this.page.getByTestId("download-csv").getAttribute("href");
    const response = await this.page.request.get(`${this.baseUrl}${href}`);
    expect(response.status()).toBe(200);
    const body = await response.body();
    expect([...body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = body.subarray(3).toString("utf8");
    return { text, rows: text.trim().split("\r\n").map((line) => line.split(",")), disposition: response.headers()["content-disposition"] ?? "" };
  }
}

async function insertDaily(handle: DatabaseHandle, departments: Record<string, string>, rows: DailyRow[]) {
  await addRollupRows(
    handle.db,
    rows.map((row) => {
      const [userUnknown, mailboxFull, rejected, other] = row.failures ?? [0, 0, 0, 0];
      return {
        day: row.day,
        departmentId: departments[row.department]!,
        clientIp: row.ip,
        senderDomain: row.sender,
        recipientDomain: row.recipient,
        sent: row.sent,
        failed: userUnknown + mailboxFull + rejected + other,
        userUnknown,
        mailboxFull,
        rejected,
        other,
        ...row.engagement,
      };
    }),
  );
}

describe.skipIf(!run)("report pages in Chromium", () => {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let taskId = "";
  let dataDir = "";
  const today = resolvePeriod({ period: "today" }, new Date(), TIME_ZONE);
  const lastWeek = resolvePeriod({ period: "last_week" }, new Date(), TIME_ZONE);
  const lastWednesday = addDays(lastWeek.from, 2);

  beforeAll(async () => {
    // Seeded before the server starts, owning the embedded database: through the server's socket these transactions could interleave with the server's own.
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-e2e-reports-"));
    const handle = await openDatabase({ dataDir });
    try {
      await seed(handle);
    } finally {
      await handle.close();
    }
    [server, browser] = await Promise.all([startServer({ FANOUT_ADMIN_EMAIL: ADMIN.email, FANOUT_ADMIN_PASSWORD: ADMIN.password }, dataDir), launchChromium()]);
  });

  async function seed(handle: DatabaseHandle) {
    const db = handle.db;
    const sales = await makeDepartment(db, { name: "Sales" });
    const support = await makeDepartment(db, { name: "Support" });
    await makeUser(db, "department", { email: "seller@fanout.test", password: PASSWORD, departmentId: sales.id });
    await makeUser(db, "manager", { email: "boss@fanout.test", password: PASSWORD, managed: [sales.id, support.id], readsAll: false });
    await insertDaily(handle, { Sales: sales.id, Support: support.id }, [
      {
        day: today.from,
        department: "Sales",
        ip: "203.0.113.7",
        sender: "sales.example.com",
        recipient: "example.net",
        sent: 120,
        failures: [18, 0, 21, 3],
        engagement: { opened: 30, clicked: 8, machineOpened: 5, machineClicked: 2, unsubscribed: 1 },
      },
      { day: today.from, department: "Support", ip: "198.51.100.4", sender: "support.example.com", recipient: "example.org", sent: 80, failures: [0, 1, 0, 0] },
      { day: lastWednesday, department: "Sales", ip: "203.0.113.7", sender: "sales.example.com", recipient: "example.net", sent: 500, failures: [27, 4, 35, 0] },
      { day: lastWednesday, department: "Support", ip: "198.51.100.4", sender: "support.example.com", recipient: "example.org", sent: 4 },
      { day: "2024-08-02", department: "Sales", ip: "202.103.191.7", sender: "sales.example.com", recipient: "example.net", sent: 202 },
      { day: "2024-08-02", department: "Support", ip: "61.144.162.97", sender: "support.example.com", recipient: "example.org", sent: 4 },
      { day: "2024-08-05", department: "Sales", ip: "202.103.191.7", sender: "sales.example.com", recipient: "example.net", sent: 500 },
      // Sixty more rows on one day, so the August table needs a second page.
      ...Array.from({ length: 60 }, (_, index) => ({ day: "2024-08-10", department: "Sales", ip: `10.0.0.${index + 1}`, sender: "sales.example.com", recipient: "example.net", sent: 1 })),
    ]);
    // A task that waits for tomorrow (so the server's runner leaves it alone), with counters as feedback would leave them.
    const setup = await makeSendingSetup(db, { count: 3 });
    const task = await createTask(setup.ctx, taskInput(setup, { name: "Autumn letter", scheduledAt: new Date(Date.now() + 86_400_000) }));
    taskId = task.id;
    await db.execute(sql`update tasks set total = 12, sent = 10, failed = 1, bounced = 1, suppressed = 1, opened = 4, clicked = 2, unsubscribed = 1 where id = ${taskId}`);
    await db.execute(sql`insert into task_links (task_id, url, clicks, unique_clicks, machine_clicks) values
      (${taskId}, 'https://example.com/offer', 5, 2, 1), (${taskId}, 'https://example.com/more', 1, 1, 0)`);
  }

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("shows charts, periods, failures with their details and CSVs to a manager, only its own department to a department user, and a task's funnel", async () => {
    const baseUrl = server!.url;
    const context = await browser!.newContext({ locale: "en-US" });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    const login = new LoginPage(page, baseUrl);
    const reports = new ReportsPage(page, baseUrl);

    // A manager of both departments: this month by default, charts drawn.
    await login.signIn("boss@fanout.test", PASSWORD);
    // The dashboard shows today at a glance, from the same rollup.
    await openHydrated(page, `${baseUrl}/`);
    expect(await page.getByTestId("dashboard-today").getByTestId("summary-sent").textContent()).toBe("200");
    await reports.open();
    expect(await reports.chartMarks("chart-sends-per-day")).toBeGreaterThan(0);
    expect(await reports.chartMarks("chart-engagement", ".recharts-line-curve")).toBeGreaterThan(0);

    await reports.choosePeriod("today", `Period: ${today.from} to ${today.to} · 200 sent`);
    await expect.poll(() => reports.rows("send-report-row").count()).toBe(2);
    expect(await reports.tableText("send-report-total")).toBe("200");
    expect(await page.getByTestId("summary-sent").textContent()).toBe("200");
    expect(await page.getByTestId("summary-machine").textContent()).toContain("5 opens, 2 clicks");
    expect(await page.getByTestId("summary-open-rate").textContent()).toContain("15%");
    expect(await reports.chartMarks("chart-sends-per-day")).toBe(2);

    await reports.choosePeriod("last_week", `Period: ${lastWeek.from} to ${lastWeek.to} · 504 sent`);
    expect(await reports.tableText("send-report-table")).toContain(lastWednesday);

    await reports.chooseCustom(AUGUST.from, AUGUST.to);
    expect(await reports.heading()).toBe(`Period: ${AUGUST.from} to ${AUGUST.to} · 766 sent`);
    expect(await reports.rows("send-report-row").count()).toBe(50);
    expect(await reports.tableText("send-report-total")).toBe("766");
    await page.getByTestId("page-next").click();
    await page.waitForURL(/page=2/);
    expect(page.url()).toContain(`from=${AUGUST.from}`);
    await expect.poll(() => reports.rows("send-report-row").count()).toBe(13);
    expect(await reports.heading()).toContain("766 sent");

    const sendsCsv = await reports.downloadCsv();
    expect(sendsCsv.disposition).toContain(`sends-${AUGUST.from}-${AUGUST.to}.csv`);
    expect(sendsCsv.rows[0]).toEqual(["Date", "Department", "IP", "Domain", "Sent"]);
    expect(sendsCsv.rows).toHaveLength(1 + 63);
    expect(sendsCsv.rows[1]).toEqual(["2024-08-02", "Sales", "202.103.191.7", "sales.example.com", "202"]);
    expect(sendsCsv.rows.slice(1).reduce((sum, row) => sum + Number(row[4]), 0)).toBe(766);

    // 投递失败统计 keeps the period; by sender domain, then by recipient domain.
    await page.getByTestId("report-tab-failures").click();
    await page.waitForURL(/\/reports\/failures\?period=custom/);
    await reports.choosePeriod("last_week", `Period: ${lastWeek.from} to ${lastWeek.to} · 66 failed`);
    expect(await reports.chartMarks("chart-failures-per-day")).toBeGreaterThan(0);
    await reports.choosePeriod("today", `Period: ${today.from} to ${today.to} · 43 failed`);
    expect(await reports.rows("failure-report-row").count()).toBe(2);
    expect(await reports.tableText("failure-report-table")).toContain(
      "of which 18 addresses do not exist, 0 mailboxes full, 21 rejected by the recipient, 3 other",
    );
    expect(await reports.tableText("failure-report-total")).toBe("43");
    await page.getByTestId("failure-by-recipient").click();
    await page.waitForURL(/by=recipient/);
    await expect.poll(() => reports.tableText("failure-report-table")).toContain("example.net");
    const failuresCsv = await reports.downloadCsv();
    expect(failuresCsv.rows[0]).toEqual(["Date", "Department", "Recipient domain", "Failed", "Address does not exist", "Mailbox full", "Rejected", "Other"]);
    expect(failuresCsv.rows.slice(1)).toEqual([
      [today.from, "Sales", "example.net", "42", "18", "0", "21", "3"],
      [today.from, "Support", "example.org", "1", "0", "1", "0", "0"],
    ]);

    // The same line in the seed's Chinese words, after the header's language switch.
    await page.getByTestId("locale-zh-CN").click();
    await expect.poll(() => reports.tableText("failure-report-table")).toContain(
      "其中 18 个邮箱地址不存在， 0 个收件人的邮箱空间不足， 21 个用户拒收， 3 个其他",
    );
    expect(await reports.heading()).toBe(`时间段：${today.from} 至 ${today.to} 失败总数：43 封`);
    await page.getByTestId("report-tab-sends").click();
    await expect.poll(() => reports.heading()).toBe(`时间段：${today.from} 至 ${today.to} 共计发送：200 封`);
    await page.getByTestId("locale-en").click();
    await expect.poll(() => reports.heading()).toContain("200 sent");
    await page.getByTestId("sign-out").click();
    await page.getByTestId("login-form").waitFor();

    // A department user reads its own department only, on the page and in the CSV.
    await login.signIn("seller@fanout.test", PASSWORD);
    await reports.open("/reports?period=today");
    expect(await reports.heading()).toBe(`Period: ${today.from} to ${today.to} · 120 sent`);
    expect(await reports.tableText("send-report-table")).not.toContain("Support");
    expect(await reports.tableText("send-report-total")).toBe("120");
    expect(await reports.chartMarks("chart-sends-per-day")).toBe(1);
    const ownCsv = await reports.downloadCsv();
    expect(ownCsv.rows.slice(1)).toEqual([[today.from, "Sales", "203.0.113.7", "sales.example.com", "120"]]);
    await reports.open("/reports/failures?period=last_week");
    expect(await reports.heading()).toContain("66 failed");
    expect(await reports.tableText("failure-report-table")).not.toContain("Support");
    await page.getByTestId("sign-out").click();
    await page.getByTestId("login-form").waitFor();

    // The admin reaches a task's report from its status page.
    await login.signIn(ADMIN.email, ADMIN.password);
    await openHydrated(page, `${baseUrl}/tasks/${taskId}`);
    await page.getByTestId("task-report-link").click();
    await page.getByTestId("task-funnel").waitFor();
    expect(await page.getByTestId("funnel-sent-count").textContent()).toBe("10");
    expect(await page.getByTestId("funnel-opened").textContent()).toContain("44.4% of sent − bounced");
    await page.getByTestId("delivered-hint").waitFor();
    expect(await reports.chartMarks("chart-funnel")).toBeGreaterThanOrEqual(4);
    expect(await reports.rows("top-link-row").count()).toBe(2);
    const linksCsv = await reports.downloadCsv();
    expect(linksCsv.rows).toEqual([
      ["Link", "Unique clicks", "Clicks", "Likely machine clicks"],
      ["https://example.com/offer", "2", "5", "1"],
      ["https://example.com/more", "1", "1", "0"],
    ]);

    expect(errors).toEqual([]);
    await context.close();
  });
});
