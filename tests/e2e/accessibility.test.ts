/**
 * Accessibility (issue 13): axe-core over every console page, the sign-in page and the
 * unsubscribe page, in English and in Chinese, as an admin with something in every table; no
 * violation of impact serious or critical. And the console's skip link: the first thing Tab
 * reaches, and Enter on it moves focus to the page's main content.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { and, eq } from "drizzle-orm";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "@/db/client";
import { deliveries, groupPosts, outboxMessages, senders } from "@/db/schema";
import { createApiKey } from "@/lib/accounts/api-keys";
import { getSecrets } from "@/lib/config/secrets";
import { readEnv } from "@/lib/config/env";
import { createSmtpAccount } from "@/lib/gateway/smtp-accounts";
import { changeContactTags } from "@/lib/audiences/contact-tags";
import { createAutomation, welcomeSeries } from "@/lib/automations/store";
import { archiveLink } from "@/lib/groups/archive-access";
import { createGroup } from "@/lib/groups/groups";
import { addSuppressions } from "@/lib/pools/suppression";
import { saveSignupForm } from "@/lib/forms/store";
import { resolvePeriod } from "@/lib/reports/periods";
import { LocalRunner } from "@/lib/sending/runner";
import { createTask } from "@/lib/sending/tasks";
import { unsubscribeLinks } from "@/lib/tokens/delivery-links";
import { createOutboxTransport } from "@/lib/transports";
import { browserTestsEnabled, launchChromium } from "../helpers/browser";
import { makeUser } from "../helpers/factories";
import { addRollupRows } from "../helpers/rollup";
import { makeSendingSetup, taskInput, testSendingConfig } from "../helpers/sending";
import { ROOT, startServer, type RunningServer } from "../helpers/server";
import { ADMIN } from "./harness";
import { LoginPage, openHydrated } from "./pages";

const run = browserTestsEnabled();
const LOCALES = [
  { cookie: "en", skip: "Skip to content" },
  { cookie: "zh-CN", skip: "跳到正文" },
] as const;
/** What the run found, rule by rule, for a person to read; tests/.artifacts is ignored by git. */
const REPORT = path.join(ROOT, "tests", ".artifacts", "accessibility");
const RECIPIENTS = ["ada@example.net", "grace@example.net", "linus@example.net", "gone@example.net"];

type Ids = { pool: string; form: string; template: string; sentTask: string; scheduledTask: string; automation: string; delivery: string; outbox: string; unsubscribe: string; group: string; groupThread: string; groupArchive: string };
type Target = { path: string; ready: string };
type Finding = { page: string; locale: string; id: string; impact: string; help: string; targets: string[] };

/** Every page, each waited for by something only it shows once rendered. */
function consolePages(ids: Ids): Target[] {
  const h1 = "main h1";
  return [
    { path: "/", ready: "[data-testid=dashboard-today]" },
    { path: "/pools", ready: "[data-testid=pool-create-form]" },
    { path: `/pools/${ids.pool}`, ready: h1 },
    { path: "/pools/uncategorised", ready: h1 },
    { path: `/pools/${ids.pool}/import`, ready: "[data-testid=upload-file]" },
    { path: `/pools/${ids.pool}/form`, ready: "[data-testid=form-snippet]" },
    { path: "/tags", ready: "[data-testid=tag-row-VIP]" },
    { path: "/segments", ready: "[data-testid=segments-table]" },
    { path: "/segments/new", ready: "[data-testid=segment-count]" },
    { path: "/suppressions", ready: h1 },
    { path: "/templates", ready: h1 },
    { path: "/templates/new", ready: "[data-testid=template-name]" },
    { path: `/templates/${ids.template}`, ready: "[data-testid=template-name]" },
    { path: "/tasks", ready: "[data-testid=tasks-table]" },
    { path: "/tasks/new", ready: "[data-testid=task-form]" },
    { path: `/tasks/${ids.sentTask}`, ready: "[data-testid=task-progress][data-status=completed]" },
    { path: `/tasks/${ids.sentTask}/report`, ready: "[data-testid=task-funnel]" },
    { path: `/tasks/${ids.scheduledTask}`, ready: "[data-testid=task-progress]" },
    { path: `/tasks/${ids.scheduledTask}/edit`, ready: "[data-testid=task-form]" },
    { path: "/automations", ready: "[data-testid=automations-table]" },
    { path: "/automations/new", ready: "[data-testid=welcome-form]" },
    { path: `/automations/${ids.automation}`, ready: "[data-testid=automation-steps]" },
    { path: "/groups", ready: "[data-testid=groups-table]" },
    { path: "/groups/new", ready: "[data-testid=group-form]" },
    { path: `/groups/${ids.group}`, ready: "[data-testid=group-threads]" },
    { path: `/groups/${ids.group}?tab=moderation`, ready: "[data-testid=group-held-posts]" },
    { path: `/groups/${ids.group}?tab=settings`, ready: "[data-testid=group-form]" },
    { path: `/groups/${ids.group}/threads/${ids.groupThread}`, ready: "[data-testid=group-thread]" },
    { path: "/senders", ready: h1 },
    { path: "/outbox", ready: h1 },
    { path: `/outbox/${ids.outbox}`, ready: "[data-testid=outbox-text]" },
    { path: "/smtp-accounts", ready: h1 },
    { path: "/webhooks", ready: "[data-testid=webhook-create-form]" },
    { path: "/notifications", ready: "[data-testid=notifications-list]" },
    { path: "/reports", ready: "[data-testid=report-heading]" },
    { path: "/reports/failures", ready: "[data-testid=report-heading]" },
    { path: "/logs", ready: h1 },
    { path: "/logs/deliveries", ready: "[data-testid=delivery-log-address]" },
    { path: `/logs/deliveries/${ids.delivery}`, ready: h1 },
    { path: "/admin/company", ready: h1 },
    { path: "/admin/departments", ready: h1 },
    { path: "/admin/users", ready: "[data-testid=user-create-form]" },
    { path: "/admin/api-keys", ready: h1 },
    { path: "/admin/api-reference", ready: "[data-testid=operation-createTask]" },
  ];
}

function publicPages(ids: Ids): Target[] {
  return [
    { path: "/login", ready: "[data-testid=login-form]" },
    { path: ids.unsubscribe, ready: "h1" },
    { path: ids.groupArchive, ready: "[data-testid=group-archive-title]" },
    { path: `${ids.groupArchive}/t/${ids.groupThread}`, ready: "[data-testid=group-thread-subject]" },
    { path: `/f/${ids.form}`, ready: "[data-testid=signup-form]" },
    { path: `/f/${ids.form}/thanks`, ready: "[data-testid=thanks-title]" },
  ];
}

describe.skipIf(!run)("accessibility of every page (axe-core) in English and Chinese", () => {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let dataDir = "";
  let ids: Ids;
  let session: Awaited<ReturnType<BrowserContext["storageState"]>> | undefined;
  const findings: Finding[] = [];

  beforeAll(async () => {
    // Seeded before the server starts, owning the embedded database: a department with a pool, a
    // template, a sender and a task sent through the outbox, a scheduled task, an automation, a suppression, users,
    // an API key, an SMTP account and report rows.
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-e2e-a11y-"));
    const handle = await openDatabase({ dataDir });
    try {
      ids = await seed(handle);
    } finally {
      await handle.close();
    }
    // The server signs and reads links with the secret the unsubscribe token above was signed with.
    [server, browser] = await Promise.all([
      startServer({ FANOUT_ADMIN_EMAIL: ADMIN.email, FANOUT_ADMIN_PASSWORD: ADMIN.password, FANOUT_TOKEN_SECRET: getSecrets().tokenSecret }, dataDir),
      launchChromium(),
    ]);
    // One sign-in for both languages: the admin's session cookie, handed to each language's context.
    const context = await contextIn("en");
    const page = await context.newPage();
    await new LoginPage(page, server.url).signIn(ADMIN.email, ADMIN.password);
    session = await context.storageState();
    await context.close();
  });

  async function seed({ db }: DatabaseHandle): Promise<Ids> {
    const setup = await makeSendingSetup(db, { emails: RECIPIENTS, quota: 1000 });
    await addSuppressions(setup.ctx, { departmentId: setup.departmentId, addresses: "gone@example.net", reason: "hard_bounce", note: "mailbox gone" });
    // A tag on a contact: its chip on the pool's page and its row on the Tags page are checked too.
    await changeContactTags(setup.ctx, { poolId: setup.poolId, search: { q: "ada@" } }, { add: ["VIP", "上海"] });
    await makeUser(db, "department", { departmentId: setup.departmentId, email: "writer@fanout.test" });
    await makeUser(db, "manager", { managed: [setup.departmentId], email: "reader@fanout.test" });
    await createApiKey(setup.ctx, { name: "CRM", scope: { company: false, departmentId: setup.departmentId } });
    await createSmtpAccount(setup.ctx, { departmentId: setup.departmentId, username: "mailer-client", password: "a long password 1" });
    const sent = await createTask(setup.ctx, taskInput(setup, { name: "Spring letter" }));
    const engine = new LocalRunner(db, { transport: createOutboxTransport(db), config: testSendingConfig(), log: () => undefined });
    try {
      await engine.drain();
    } finally {
      await engine.stop();
    }
    const scheduled = await createTask(setup.ctx, taskInput(setup, { name: "Summer letter", scheduledAt: new Date(Date.now() + 7 * 86_400_000) }));
    const welcome = welcomeSeries({ welcome: setup.templateId, followUp: setup.templateId, reminder: setup.templateId });
    const automation = await createAutomation(setup.ctx, { name: "Welcome", trigger: { type: "subscribed", poolId: setup.poolId }, steps: welcome, senderId: setup.senderId, departmentId: setup.departmentId });
    const signupFields = [{ attribute: "city", label: "City / 城市", required: true }];
    const form = await saveSignupForm(setup.ctx, setup.poolId, { enabled: true, title: "Newsletter", intro: "Once a month.", askName: true, fields: signupFields, consentText: "I agree", logoUrl: "", colour: "#0f766e", language: "en" });
    const today = resolvePeriod({ period: "today" }, new Date(), readEnv().timeZone);
    await addRollupRows(db, [
      { day: today.from, departmentId: setup.departmentId, clientIp: "203.0.113.7", senderDomain: "example.org", recipientDomain: "example.net", sent: 40, failed: 6, userUnknown: 4, other: 2, bounced: 5, opened: 12, clicked: 3 },
    ]);
    const [delivery] = await db.select({ id: deliveries.id }).from(deliveries).where(and(eq(deliveries.taskId, sent.id), eq(deliveries.email, "ada@example.net")));
    const [message] = await db.select({ id: outboxMessages.id }).from(outboxMessages).limit(1);
    // A group address with a post sent on (an attachment listed) and one held for a moderator.
    const [sender] = await db.select({ address: senders.address }).from(senders).where(eq(senders.id, setup.senderId));
    const group = await createGroup(setup.ctx, { poolId: setup.poolId, address: `team@${sender!.address.split("@")[1]}`, name: "项目组" });
    const raw = Buffer.from("From: ada@example.net\r\nSubject: 季度报告\r\n\r\n请查收。\r\n");
    const post = { groupId: group.id, departmentId: setup.departmentId, fromAddress: "ada@example.net", raw, size: raw.byteLength };
    const [thread] = await db
      .insert(groupPosts)
      .values({ ...post, threadId: crypto.randomUUID(), messageId: "a11y-1@example.net", subject: "季度报告", fromName: "Ada", bodyText: "请查收。\n谢谢", status: "sent", attachments: [{ fileName: "报告.pdf", contentType: "application/pdf", size: 1200 }] })
      .returning({ id: groupPosts.id });
    await db.update(groupPosts).set({ threadId: thread!.id }).where(eq(groupPosts.id, thread!.id));
    await db.insert(groupPosts).values({ ...post, threadId: crypto.randomUUID(), messageId: "a11y-2@example.net", subject: "Held", fromAddress: "stranger@example.org", status: "held", reason: "not_member" });
    return {
      pool: setup.poolId,
      form: form.id,
      template: setup.templateId,
      sentTask: sent.id,
      scheduledTask: scheduled.id,
      automation: automation.id,
      delivery: String(delivery!.id),
      outbox: String(message!.id),
      unsubscribe: new URL(unsubscribeLinks(String(delivery!.id), "example.org").url).pathname,
      group: group.id,
      groupThread: thread!.id,
      groupArchive: archiveLink(group.id, "ada@example.net"),
    };
  }

  afterAll(async () => {
    fs.mkdirSync(REPORT, { recursive: true });
    fs.writeFileSync(path.join(REPORT, "findings.json"), JSON.stringify(findings, null, 2));
    await browser?.close();
    await server?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function contextIn(locale: string, signedIn = false): Promise<BrowserContext> {
    const context = await browser!.newContext({ locale: locale === "en" ? "en-US" : "zh-CN", viewport: { width: 1280, height: 900 }, storageState: signedIn ? session : undefined });
    await context.addCookies([{ name: "fanout-locale", value: locale, url: server!.url }]);
    return context;
  }

  /** Opens a page, waits for it to be drawn and hydrated, and runs axe over it; answers the serious and critical violations. */
  async function audit(page: Page, locale: string, target: Target): Promise<Finding[]> {
    await openHydrated(page, `${server!.url}${target.path}`);
    const ready = page.locator(target.ready).first();
    await ready.waitFor();
    // openHydrated waited for React to claim the markup; one more frame for effects to paint.
    await ready.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    // The message previews are a sender's HTML in an empty sandbox (no scripts, so axe cannot run inside); their frames' titles are checked below.
    const axe = new AxeBuilder({ page }).setLegacyMode(true).options({ resultTypes: ["violations"] }).exclude("iframe[sandbox]");
    // The shell (sidebar and top bar) is the same around every console page: audited with the dashboard, left out after it.
    if (target.path !== "/" && (await page.getByTestId("sidebar").count()) > 0) axe.exclude("[data-testid=sidebar]").exclude("header");
    const results = await axe.analyze();
    const untitledFrames = await page.locator("iframe:not([title]), iframe[title='']").count();
    const found: Finding[] = results.violations.map((violation) => ({
      page: target.path,
      locale,
      id: violation.id,
      impact: violation.impact ?? "unknown",
      help: violation.help,
      targets: violation.nodes.map((node) => `${node.target.join(" ")} ${node.html.replace(/\s+/g, " ").slice(0, 120)}`),
    }));
    if (untitledFrames > 0) found.push({ page: target.path, locale, id: "frame-title", impact: "serious", help: "Frames must have a title", targets: ["iframe"] });
    findings.push(...found);
    return found.filter((finding) => finding.impact === "serious" || finding.impact === "critical");
  }

  function described(found: Finding[]): string[] {
    return found.map((finding) => `${finding.id} (${finding.impact}) on ${finding.page} [${finding.locale}]: ${finding.help} — ${finding.targets.join(" | ")}`);
  }

  // The two languages side by side, sharing the server and the browser (a context each).
  for (const { cookie, skip } of LOCALES) {
    it.concurrent(`in ${cookie}: no serious or critical violation on any console page, the sign-in page or the unsubscribe page; the skip link leads to the main content`, async ({ expect }) => {
      const serious: Finding[] = [];
      const outside = await contextIn(cookie);
      const publicPage = await outside.newPage();
      for (const target of publicPages(ids)) serious.push(...(await audit(publicPage, cookie, target)));
      await outside.close();

      const context = await contextIn(cookie, true);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      for (const target of consolePages(ids)) serious.push(...(await audit(page, cookie, target)));

      expect(described(serious), "axe-core: serious or critical violations (rule, impact, page, language, offending elements)").toEqual([]);
      expect(errors).toEqual([]);

      // The skip link: the first stop of Tab from the top of a page; Enter on it puts focus on the main content.
      await openHydrated(page, `${server!.url}/pools`);
      await page.locator("main h1").waitFor();
      await page.keyboard.press("Tab");
      const focused = await page.evaluate(() => ({ text: document.activeElement?.textContent, href: document.activeElement?.getAttribute("href") }));
      expect(focused).toEqual({ text: skip, href: "#main-content" });
      expect(await page.getByRole("link", { name: skip }).isVisible()).toBe(true);
      await page.keyboard.press("Enter");
      await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe("MAIN");
      // The next Tab goes on from the main content, past the sidebar and the top bar.
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => !!document.activeElement?.closest("main"))).toBe(true);
      await context.close();
    }, 420_000);
  }
});
