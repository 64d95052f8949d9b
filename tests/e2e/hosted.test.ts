/**
 * Issue 22's hosted-shaped run: the production server with FANOUT_HOSTED=true, its data folder
 * read-only (and checked empty after, since root ignores permissions), Postgres migrated by the deploy
 * step (`npm run migrate`), files in an S3-compatible bucket (s3rver), sending only under Inngest
 * (Inngest Cloud played by tests/helpers/fake-inngest.ts, which drives the functions through the
 * app's signed serve endpoint) and Resend (its fake). In the console: a 100,000-row import through
 * the upload path, a template with an attachment, a task sent, and its report.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { createScratchDatabase, type ScratchDatabase } from "@/db/scratch";
import { browserTestsEnabled, launchChromium } from "../helpers/browser";
import { startFakeInngest, type FakeInngest } from "../helpers/fake-inngest";
import { startFakeResend, type FakeResend } from "../helpers/fake-resend";
import { startFakeS3, type FakeS3 } from "../helpers/fake-s3";
import { ROOT, startServer, type RunningServer } from "../helpers/server";
import { ADMIN } from "./harness";
import { ConsolePage, LoginPage, openHydrated } from "./pages";

const ROWS = 100_000;
const SENT = 300;
const serverUrl = process.env.TEST_DATABASE_URL;
const run = browserTestsEnabled() && hostedRunPossible();

function hostedRunPossible(): boolean {
  if (serverUrl) return true;
  if (process.env.CI === "true") throw new Error("CI=true but TEST_DATABASE_URL is unset: the hosted-shaped run needs a Postgres server");
  console.warn("[hosted] SKIPPED: the hosted-shaped run needs a Postgres server; set TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)");
  return false;
}

/** `npm run migrate`, the deploy step, against `databaseUrl`; answers its output. */
function migrate(databaseUrl: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, DATABASE_URL: databaseUrl };
    delete env.VITEST;
    const child = spawn("npm", ["run", "-s", "migrate"], { cwd: ROOT, env: env as NodeJS.ProcessEnv });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("close", (code) => (code === 0 ? resolve(output) : reject(new Error(`npm run migrate exited ${code}: ${output}`))));
  });
}

function filesUnder(directory: string): string[] {
  return fs.readdirSync(directory, { recursive: true, encoding: "utf8" });
}

describe.skipIf(!run)("hosted-shaped: no local disk, Postgres, a bucket, Inngest and Resend", () => {
  let database: ScratchDatabase;
  let bucket: FakeS3;
  let resend: FakeResend;
  let inngest: FakeInngest;
  let server: RunningServer;
  let browser: Browser;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-hosted-data-"));
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-hosted-tmp-"));

  beforeAll(async () => {
    database = await createScratchDatabase(serverUrl!, "fanout_hosted");
    [bucket, resend, inngest] = await Promise.all([startFakeS3("fanout-hosted"), startFakeResend({ apiKey: "re_hosted" }), startFakeInngest()]);
    await migrate(database.url);
    fs.chmodSync(dataDir, 0o555);
    server = await startServer(
      {
        FANOUT_HOSTED: "true",
        DATABASE_URL: database.url,
        AUTH_SECRET: "hosted auth secret for the test run",
        FANOUT_TOKEN_SECRET: "hosted token secret for the test run",
        FANOUT_ADMIN_EMAIL: ADMIN.email,
        FANOUT_ADMIN_PASSWORD: ADMIN.password,
        RESEND_API_KEY: "re_hosted",
        RESEND_BASE_URL: resend.url,
        // Resend's default account limit is 2 requests a second, and a message with an attachment is a request of its own.
        RESEND_REQUESTS_PER_SECOND: "50",
        // Anything the app would put in a temporary file lands here, checked empty after.
        TMPDIR: tmpDir,
        ...bucket.env,
        ...inngest.env,
      },
      dataDir,
    );
    await inngest.sync(server.url);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await Promise.all([bucket?.close(), resend?.close(), inngest?.close()]);
    await database?.drop();
    fs.chmodSync(dataDir, 0o755);
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(tmpDir, { recursive: true, force: true });
  });

  it("imports 100,000 rows, sends a task with an attachment and reports it, writing no file", async () => {
    expect([...inngest.functions.keys()]).toEqual(expect.arrayContaining(["fanout-import-file", "fanout-task-scheduler", "fanout-task-batch"]));
    const page = await (await browser.newContext({ locale: "en-US" })).newPage();
    onTestFailed(async () => {
      const runs = inngest.runs.map((entry) => `${entry.fn} ${entry.status} after ${entry.requests} requests${entry.error ? `: ${entry.error}` : ""}`);
      const main = await page.locator("main").innerText().catch(() => "(no page)");
      process.stdout.write(`[hosted] Inngest runs:\n${runs.join("\n")}\n[hosted] the page:\n${main}\n[hosted] the server said:\n${server.output().slice(-8_000)}\n`);
    });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await new LoginPage(page, server.url).signIn(ADMIN.email, ADMIN.password);
    const console = new ConsolePage(page, server.url);
    await console.createDepartment("Hosted", 1_000);
    await console.allowUnverifiedDomains();
    await console.addDomain("hosted.example.com");
    await console.addSender("news@hosted.example.com", "Hosted news");

    // The upload goes to the bucket and the import runs as Inngest steps.
    const csv = `email,name\n${Array.from({ length: ROWS }, (_, index) => `reader${index}@hosted.example,Reader ${index}`).join("\n")}\n`;
    await console.importPool("Everyone", csv, 240_000);
    expect(await page.getByTestId("import-progress").textContent()).toContain(ROWS.toLocaleString("en-US"));
    expect(inngest.runs.filter((entry) => entry.fn === "fanout-import-file").length).toBeGreaterThan(0);

    const attachment = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fanout-hosted-attachment-")), "price-list.txt");
    fs.writeFileSync(attachment, "Prices for 2027\n");
    await console.writeTemplate({ name: "Launch", subject: "Launch for {{ name }}", html: '<p>Hello {{ name }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>', attachments: [attachment] });

    await console.visit("/tasks/new");
    const form = await console.fillTask({ template: { label: "Launch · v1" }, pools: ["Everyone"], sender: { label: "news@hosted.example.com" }, name: "Hosted launch", limit: SENT });
    await form.getByRole("button", { name: "Review and send" }).click();
    await page.getByTestId("task-confirm").getByTestId("confirm-submit").click();
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
    await page.waitForSelector("[data-testid=task-progress][data-status=completed]", { timeout: 180_000 });
    expect(await page.getByTestId("count-sent").textContent()).toBe(String(SENT));
    expect(inngest.runs.filter((entry) => entry.fn === "fanout-task-batch" && entry.status === "completed").length).toBeGreaterThan(0);

    // Resend received each message once, with the attachment read back from the bucket.
    expect(resend.emails).toHaveLength(SENT);
    expect(new Set(resend.emails.map((email) => String(email.email.to))).size).toBe(SENT);
    const attached = resend.emails[0]!.email.attachments as { filename: string; content: string }[];
    expect(attached.map((file) => [file.filename, Buffer.from(file.content, "base64").toString()])).toEqual([["price-list.txt", "Prices for 2027\n"]]);

    await openHydrated(page, `${server.url}/reports`);
    await expect.poll(() => page.getByTestId("report-heading").textContent()).toContain(`${SENT} sent`);

    await inngest.settled();
    expect(inngest.runs.filter((entry) => entry.status === "failed")).toEqual([]);
    expect(inngest.refused).toEqual([]);
    expect(errors).toEqual([]);
    // The bucket holds the attachment; the upload was deleted once imported.
    expect(filesUnder(bucket.directory).some((file) => file.includes("attachments"))).toBe(true);
    expect(filesUnder(bucket.directory).some((file) => file.includes("imports"))).toBe(false);
    expect(filesUnder(dataDir)).toEqual([]);
    expect(filesUnder(tmpDir)).toEqual([]);
  }, 600_000);
});
