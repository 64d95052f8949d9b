/**
 * From zero to the first send (issue 13): a server started on an empty data folder with no admin in
 * its environment, and from then on only the browser. The root leads to sign-in, which leads to
 * setup; the first admin is created there; then the dashboard's getting-started checklist is
 * followed by its links alone, and it ticks each step, until a task has been delivered to a real
 * SMTP server on loopback.
 */
import os from "node:os";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserTestsEnabled, launchChromium } from "../helpers/browser";
import { startServer, type RunningServer } from "../helpers/server";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";
import { GettingStartedChecklist, SetupPage, type ChecklistStep, openHydrated } from "./pages";

const run = browserTestsEnabled();
const ADMIN = { name: "Wu Fang", email: "wu.fang@fanout.test", password: "first admin password" };
/** This machine's address on a network, when it has one: a browser using it is not on loopback. */
const NETWORK_ADDRESS = Object.values(os.networkInterfaces())
  .flat()
  .find((entry) => entry?.family === "IPv4" && !entry.internal)?.address;
const READERS = ["reader1@example.org", "reader2@example.org", "reader3@example.org"];

describe.skipIf(!run)("from zero to the first send in Chromium", () => {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let sink: SmtpSink | undefined;

  beforeAll(async () => {
    sink = await startSmtpSink();
    // No first admin from the environment: whatever this shell has, the server must not see it.
    const saved = { email: process.env.FANOUT_ADMIN_EMAIL, password: process.env.FANOUT_ADMIN_PASSWORD };
    delete process.env.FANOUT_ADMIN_EMAIL;
    delete process.env.FANOUT_ADMIN_PASSWORD;
    try {
      server = await startServer({ SMTP_URL: sink.url });
    } finally {
      if (saved.email !== undefined) process.env.FANOUT_ADMIN_EMAIL = saved.email;
      if (saved.password !== undefined) process.env.FANOUT_ADMIN_PASSWORD = saved.password;
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await sink?.close();
  });

  const newPage = async (): Promise<Page> => (await browser!.newContext({ locale: "en-US" })).newPage();

  it("is led to setup, creates the first admin, and follows the checklist's links to a delivered task", async () => {
    expect(server!.output()).toMatch(/no admin yet: open .*\/setup/);
    expect(server!.output()).not.toContain("created the first admin");
    const page = await newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("dialog", (dialog) => void dialog.accept());
    const checklist = new GettingStartedChecklist(page);
    const ticks = async (expected: ChecklistStep[]) => {
      await checklist.openDashboard();
      expect(await checklist.ticked()).toEqual(expected);
    };

    // Reached over the network, setup asks for the token the server printed, and only that one opens the form.
    if (NETWORK_ADDRESS) {
      const token = /\/setup\?token=([\w-]+)/.exec(server!.output())?.[1];
      expect(token).toBeDefined();
      const remote = await newPage();
      const remoteUrl = server!.url.replace("127.0.0.1", NETWORK_ADDRESS);
      await openHydrated(remote, `${remoteUrl}/setup`);
      await remote.getByTestId("setup-not-allowed").waitFor();
      expect(await remote.getByTestId("setup-form").count()).toBe(0);
      await remote.getByTestId("setup-token").fill("not-the-token");
      await remote.getByTestId("setup-token-form").getByRole("button").click();
      await remote.getByTestId("setup-token-error").waitFor();
      expect(await remote.getByTestId("setup-form").count()).toBe(0);
      await remote.getByTestId("setup-token").fill(token!);
      await remote.getByTestId("setup-token-form").getByRole("button").click();
      await remote.getByTestId("setup-form").waitFor();
      await remote.context().close();
    }

    // The root sends a stranger to sign in, which says there is no admin yet and leads to setup.
    await openHydrated(page, `${server!.url}/`);
    await page.waitForURL((url) => url.pathname === "/login");
    await page.getByTestId("no-admin").waitFor();
    await page.getByTestId("setup-link").click();
    await page.waitForURL((url) => url.pathname === "/setup");

    // The browser is on this machine, so no token is asked for; the form keeps the password rules.
    const setup = new SetupPage(page);
    await setup.createAdmin({ ...ADMIN, password: "short12" });
    expect(await page.getByTestId("setup-password").evaluate((input: HTMLInputElement) => input.validity.tooShort)).toBe(true);
    await setup.createAdmin(ADMIN);
    await page.getByTestId("sidebar").waitFor();
    expect(new URL(page.url()).pathname).toBe("/");
    expect(await page.locator("main").textContent()).toContain(`Signed in as ${ADMIN.email}`);
    expect(await checklist.ticked()).toEqual([]);

    // 1. A department, with quota for the test and the task.
    await checklist.follow("department");
    const department = page.getByTestId("department-create-form");
    await department.getByTestId("department-name").fill("Outreach");
    await department.getByTestId("department-quota").fill("100");
    await department.getByRole("button").click();
    await page.getByTestId("department-row-Outreach").waitFor();
    await ticks(["department"]);

    // 2. A domain: its DNS cannot be published here, so the company allows unverified domains.
    await checklist.follow("domain");
    await page.waitForURL((url) => url.pathname === "/senders");
    const requireVerified = page.getByTestId("require-verified");
    await requireVerified.getByRole("button", { name: /^☑/ }).click();
    await requireVerified.getByRole("button", { name: /^☐/ }).waitFor();
    await page.getByTestId("domain-name").fill("mail.example.com");
    await page.getByTestId("domain-add-form").getByRole("button").click();
    await page.getByTestId("domain-mail.example.com").waitFor();
    await ticks(["department", "domain"]);

    // 3. A sender on it.
    await checklist.follow("sender");
    await page.getByTestId("sender-address").fill("news@mail.example.com");
    await page.getByTestId("sender-name").fill("Newsroom");
    await page.getByTestId("sender-add-form").getByRole("button").click();
    await page.getByTestId("sender-row-news@mail.example.com").waitFor();
    await ticks(["department", "domain", "sender"]);

    // 4. A pool, filled by hand: an empty pool does not tick the step.
    await checklist.follow("pool");
    await page.getByTestId("pool-name").fill("Readers");
    await page.getByTestId("pool-create-form").getByRole("button").click();
    await page.getByTestId("view-pool-Readers").waitFor();
    await ticks(["department", "domain", "sender"]);
    await checklist.follow("pool");
    await page.getByTestId("view-pool-Readers").click();
    for (const [index, email] of READERS.entries()) {
      const add = page.getByTestId("contact-add-form");
      await add.getByTestId("contact-email").fill(email);
      await add.getByTestId("contact-name").fill(`Reader ${index + 1}`);
      await add.getByRole("button", { name: "Add", exact: true }).click();
      await page.getByTestId("contact-added").getByText(`Added ${email}.`).waitFor();
    }
    await ticks(["department", "domain", "sender", "pool"]);

    // 5. A template.
    await checklist.follow("template");
    await page.waitForURL((url) => url.pathname === "/templates/new");
    await page.getByTestId("template-name").fill("Welcome");
    await page.getByTestId("template-subject").fill("Welcome, {{ name }}");
    await page.getByTestId("mode-html").click();
    await page.getByTestId("html-source").fill('<p>Hello {{ name }}</p>\n<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>');
    await page.getByTestId("template-save").click();
    await page.waitForURL(/\/templates\/[0-9a-f-]{36}$/);
    const templatePath = new URL(page.url()).pathname;
    await ticks(["department", "domain", "sender", "pool", "template"]);

    // 6. A test send, from the template's own page, which the step's link opens; the relay gets it.
    await checklist.follow("testSend");
    await page.waitForURL((url) => url.pathname === templatePath);
    await page.getByTestId("test-recipients").fill("me@example.org");
    await page.getByTestId("test-send-button").click();
    await expect.poll(() => page.getByTestId("test-results").textContent(), { timeout: 20_000 }).toMatch(/^me@example\.org: /);
    const [test] = await sink!.waitFor(1, 20_000);
    expect(test!.envelope.rcptTo).toEqual(["me@example.org"]);
    expect((await test!.parse()).subject).toMatch(/^\[TEST\] Welcome, /);
    await ticks(["department", "domain", "sender", "pool", "template", "testSend"]);

    // 7. The first task, sent now to the pool, through the SMTP relay.
    await checklist.follow("task");
    await page.waitForURL((url) => url.pathname === "/tasks/new");
    const task = page.getByTestId("task-form");
    await task.getByTestId("task-template").selectOption({ label: "Welcome · v1" });
    await task.getByTestId("task-pool-Readers").check();
    await task.getByTestId("task-sender").selectOption({ label: "news@mail.example.com" });
    await expect.poll(() => page.getByTestId("audience-size").textContent()).toBe("3 addresses will receive it");
    await task.locator("button[type=submit]").click();
    // The confirmation step shows who receives it before anything is sent.
    await expect.poll(() => page.getByTestId("confirm-recipient-count").getAttribute("data-count")).toBe("3");
    await page.getByTestId("confirm-submit").click();
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
    await page.waitForSelector("[data-testid=task-progress][data-status=completed]", { timeout: 120_000 });
    expect(await page.getByTestId("count-sent").textContent()).toBe("3");
    const delivered = (await sink!.waitFor(1 + READERS.length, 20_000)).slice(1);
    expect(delivered.flatMap((message) => message.envelope.rcptTo).sort()).toEqual(READERS);
    const first = await delivered.find((message) => message.envelope.rcptTo[0] === READERS[0])!.parse();
    expect(first.subject).toBe("Welcome, Reader 1");
    expect(first.from?.value).toEqual([{ name: "Newsroom", address: "news@mail.example.com" }]);

    // Every step done: the checklist is one line.
    await checklist.openDashboard();
    expect(await checklist.ticked()).toBeNull();
    expect(await page.getByTestId("checklist-done").textContent()).toContain("all done");

    // With an admin, setup is over: the page is the sign-in page for anyone else.
    const stranger = await newPage();
    await openHydrated(stranger, `${server!.url}/setup`);
    await stranger.waitForURL((url) => url.pathname === "/login");
    await stranger.getByTestId("login-form").waitFor();
    expect(await stranger.getByTestId("setup-link").count()).toBe(0);
    expect(errors).toEqual([]);
  }, 300_000);
});
