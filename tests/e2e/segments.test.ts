/**
 * A segment as a send target, as a department user builds it (issue 17): "city = 上海 and clicked
 * in the last 90 days" on a pool whose contacts live in 上海 or Berlin and clicked a past task's
 * link recently, long ago or never. The builder's live count shows the people it means; a task to
 * the saved segment is sent, and a real SMTP server on loopback receives exactly them.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq, inArray } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "@/db/client";
import { contacts, deliveries, tasks } from "@/db/schema";
import { recordClick } from "@/lib/feedback/tracking";
import { createTask } from "@/lib/sending/tasks";
import { browserTestsEnabled, launchChromium } from "../helpers/browser";
import { makeUser, unique } from "../helpers/factories";
import { makeSendingSetup, taskInput } from "../helpers/sending";
import { startServer, type RunningServer } from "../helpers/server";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";
import { ADMIN } from "./harness";
import { ConsolePage, LoginPage, openHydrated } from "./pages";

const run = browserTestsEnabled();
const USER = { email: "segments.user@fanout.test", password: "segments password 1" };
const DAY = 24 * 60 * 60_000;
const PERSON = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
// makeSendingSetup puts odd-numbered contacts in 上海 and even-numbered ones in Berlin.
const EMAILS = Array.from({ length: 10 }, (_, index) => `reader${index}@segments.example`);
/** Who clicked the earlier task's link, and how many days ago. */
const CLICKED_DAYS_AGO: Record<number, number> = { 1: 3, 3: 40, 4: 10, 5: 120, 7: 89 };
/** 上海 (odd) and clicked within 90 days: reader1, reader3, reader7 — not reader4 (Berlin) nor reader5 (120 days). */
const EXPECTED = ["reader1@segments.example", "reader3@segments.example", "reader7@segments.example"];

describe.skipIf(!run)("a segment as a send target in Chromium", () => {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let sink: SmtpSink | undefined;
  let dataDir = "";
  let templateId = "";
  let senderId = "";

  beforeAll(async () => {
    sink = await startSmtpSink();
    // Seeded before the server starts, owning the embedded database.
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-e2e-segments-"));
    const handle = await openDatabase({ dataDir });
    try {
      const setup = await makeSendingSetup(handle.db, { emails: EMAILS });
      await makeUser(handle.db, "department", { departmentId: setup.departmentId, email: USER.email, password: USER.password });
      // An earlier task, already sent, whose link some readers clicked.
      const earlier = await createTask(setup.ctx, taskInput(setup, { name: unique("earlier") }));
      await handle.db.update(tasks).set({ status: "completed", materializeCursor: null, finishedAt: new Date() }).where(eq(tasks.id, earlier.id));
      const rows = await handle.db.select({ id: contacts.id, email: contacts.email }).from(contacts).where(inArray(contacts.email, EMAILS));
      const now = Date.now();
      const sent = await handle.db
        .insert(deliveries)
        .values(rows.map((contact) => ({ taskId: earlier.id, departmentId: setup.departmentId, contactId: contact.id, email: contact.email, status: "sent" as const, sentAt: new Date(now - 130 * DAY) })))
        .returning({ id: deliveries.id, email: deliveries.email });
      // The clicks go through tracking, as a person's click on the link would.
      for (const delivery of sent) {
        const daysAgo = CLICKED_DAYS_AGO[EMAILS.indexOf(delivery.email)];
        if (daysAgo !== undefined) await recordClick(handle.db, delivery.id, "https://example.com/offer", { at: new Date(now - daysAgo * DAY), userAgent: PERSON });
      }
      templateId = setup.templateId;
      senderId = setup.senderId;
    } finally {
      await handle.close();
    }
    [server, browser] = await Promise.all([startServer({ FANOUT_ADMIN_EMAIL: ADMIN.email, FANOUT_ADMIN_PASSWORD: ADMIN.password, SMTP_URL: sink.url }, dataDir), launchChromium()]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await sink?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function chooseLeaf(page: Page, index: number, choose: (row: ReturnType<Page["getByTestId"]>) => Promise<void>) {
    const row = page.getByTestId("segment-condition").nth(index);
    await row.waitFor();
    await choose(row);
  }

  it("builds city = 上海 and clicked in the last 90 days, sees its count, sends a task to it, and only those people receive it", async () => {
    const page = await (await browser!.newContext({ locale: "en-US" })).newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await new LoginPage(page, server!.url).signIn(USER.email, USER.password);

    await openHydrated(page, `${server!.url}/segments/new`);
    await page.getByTestId("segment-name").fill("Shanghai clickers");
    if ((await page.getByTestId("segment-condition").count()) === 0) await page.getByTestId("segment-add-condition").click();
    await chooseLeaf(page, 0, async (row) => {
      await row.getByTestId("condition-field").selectOption("attribute");
      await row.getByTestId("condition-key").fill("city");
      await row.getByTestId("condition-op").selectOption("equals");
      await row.getByTestId("condition-value").fill("上海");
    });
    // One condition so far: every 上海 reader.
    await expect.poll(() => page.getByTestId("segment-count").textContent(), { timeout: 15_000 }).toMatch(/\b5\b/);
    await page.getByTestId("segment-add-condition").click();
    await chooseLeaf(page, 1, async (row) => {
      await row.getByTestId("condition-field").selectOption("engagement");
      await row.getByTestId("condition-op").selectOption("did");
      await row.getByTestId("condition-event").selectOption("clicked");
      await row.getByTestId("condition-scope").selectOption("days");
      await row.getByTestId("condition-days").fill("90");
    });
    await expect.poll(() => page.getByTestId("segment-count").textContent(), { timeout: 15_000 }).toMatch(/\b3\b/);
    const sample = (await page.getByTestId("segment-sample").textContent()) ?? "";
    for (const email of EXPECTED) expect(sample).toContain(email);
    for (const email of ["reader4@segments.example", "reader5@segments.example"]) expect(sample).not.toContain(email);
    await page.getByTestId("segment-save").click();
    await page.getByTestId("segment-row-Shanghai clickers").waitFor({ timeout: 15_000 });
    expect(await page.getByTestId("segment-count-Shanghai clickers").textContent()).toMatch(/\b3\b/);

    // A task to the segment alone.
    const console = new ConsolePage(page, server!.url);
    await console.visit("/tasks/new");
    const form = await console.fillTask({ template: templateId, name: "To Shanghai clickers", segments: ["Shanghai clickers"], sender: senderId });
    await form.locator("button[type=submit]").click();
    await page.getByTestId("confirm-submit").click();
    await page.waitForSelector("[data-testid=task-progress][data-status=completed]", { timeout: 60_000 });

    const received = (await sink!.waitFor(EXPECTED.length, 30_000)).flatMap((message) => message.envelope.rcptTo);
    expect(received.sort()).toEqual(EXPECTED);
    // Nobody else arrives afterwards.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(sink!.messages.flatMap((message) => message.envelope.rcptTo).sort()).toEqual(EXPECTED);
    expect(errors).toEqual([]);
  }, 180_000);
});
