import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserTestsEnabled, launchChromium } from "../helpers/browser";
import { ROOT, startServer, type RunningServer } from "../helpers/server";
import { ADMIN } from "./harness";
import { ConsolePage, LoginPage, openHydrated } from "./pages";

const run = browserTestsEnabled();
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1440, height: 900 };
/** Screenshots for a person to look at; tests/.artifacts is ignored by git. */
const SHOTS = path.join(ROOT, "tests", ".artifacts", "small-screens");
const LONG_USER = { email: "the-outreach-and-communications-team-mailbox@fanout.test", password: "long name password 1" };
const DEPARTMENT = "Outreach and Communications Department of the Group";
const SENDER = "newsletter-for-all-subscribers@mail.example.com";

const LOCALES = [
  { locale: "en-US", menu: "Menu", close: "Close menu" },
  { locale: "zh-CN", menu: "菜单", close: "关闭菜单" },
] as const;

/** The pages a phone user works on; each is waited for by something only it shows. */
const PAGES = [
  { name: "dashboard", path: "/", ready: "dashboard-today" },
  { name: "pools", path: "/pools", ready: "pool-create-form" },
  { name: "tags", path: "/tags", ready: "tags-table" },
  { name: "new-task", path: "/tasks/new", ready: null },
  { name: "new-segment", path: "/segments/new", ready: "segment-rule" },
  { name: "reports", path: "/reports", ready: "report-heading" },
  { name: "senders", path: "/senders", ready: `sender-row-${SENDER}` },
  { name: "webhooks", path: "/webhooks", ready: "webhook-create-form" },
] as const;

/** The console's sidebar as a phone user meets it: behind the header's menu button. */
class Drawer {
  constructor(readonly page: Page) {}

  button() {
    return this.page.getByTestId("menu-button");
  }

  sidebar() {
    return this.page.getByTestId("sidebar");
  }

  async isOpen() {
    return (await this.button().getAttribute("aria-expanded")) === "true";
  }

  /** Where the sidebar's right edge is: at or left of 0 it is out of sight. */
  async rightEdge() {
    const box = await this.sidebar().boundingBox();
    return box ? box.x + box.width : 0;
  }

  async open() {
    await this.button().click();
    await expect.poll(() => this.isOpen()).toBe(true);
    // It slides in: wait until it stands at the left edge.
    await expect.poll(async () => (await this.sidebar().boundingBox())?.x).toBe(0);
  }

  async expectClosed() {
    await expect.poll(() => this.isOpen()).toBe(false);
    await expect.poll(() => this.rightEdge()).toBeLessThanOrEqual(0);
  }
}

/** The page's width against the window's, and what sticks out (outside a table's own scroll area) when it is wider. */
async function pageWidths(page: Page) {
  return page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    inner: window.innerWidth,
    wide: [...document.body.querySelectorAll("*")]
      .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5)
      .filter((element) => {
        for (let box = element.parentElement; box; box = box.parentElement) if (["auto", "scroll"].includes(getComputedStyle(box).overflowX)) return false;
        return true;
      })
      .map((element) => element.getAttribute("data-testid") ?? `${element.tagName}.${element.className}`.slice(0, 80))
      .slice(0, 8)
      .join(", "),
  }));
}

/** Elements of the top bar that stick out of it or out of the window. */
async function headerOverflow(page: Page) {
  return page.evaluate(() => {
    const header = document.querySelector("header")!;
    const out = [...header.querySelectorAll("[data-testid]")]
      .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5 || element.getBoundingClientRect().left < -0.5)
      .map((element) => element.getAttribute("data-testid"));
    return { out, scroll: header.scrollWidth, client: header.clientWidth, height: header.getBoundingClientRect().height };
  });
}

async function within(page: Page, locator: ReturnType<Page["getByTestId"]>) {
  const box = await locator.boundingBox();
  const width = page.viewportSize()!.width;
  return !!box && box.x >= 0 && box.x + box.width <= width;
}

describe.skipIf(!run)("the console on small screens", () => {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    server = await startServer({ FANOUT_ADMIN_EMAIL: ADMIN.email, FANOUT_ADMIN_PASSWORD: ADMIN.password });
    browser = await launchChromium();
    // Something in each table: a department, a sender on an unverified domain (its row carries a long warning), a pool.
    const page = await newPage({ locale: "en-US", viewport: DESKTOP });
    await new LoginPage(page, server.url).signIn(ADMIN.email, ADMIN.password);
    const console = new ConsolePage(page, server.url);
    await console.createDepartment(DEPARTMENT, 1000);
    await console.createUser({ ...LONG_USER, role: "department", department: DEPARTMENT });
    await console.allowUnverifiedDomains();
    await console.addDomain("mail.example.com");
    await console.addSender(SENDER, "The Outreach and Communications Newsletter");
    await console.visit("/pools");
    await page.getByTestId("pool-name").fill("Subscribers of the spring campaign");
    await page.getByTestId("pool-create-form").getByRole("button").click();
    await page.getByTestId("import-pool-Subscribers of the spring campaign").waitFor();
    await page.context().close();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function newPage(options: { locale: string; viewport: { width: number; height: number } }) {
    const page = await (await browser!.newContext(options)).newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    return Object.assign(page, { errors });
  }

  for (const { locale, menu, close } of LOCALES) {
    it(`at 390 px in ${locale}: no page scrolls sideways, the menu button opens the sidebar, Escape and a chosen link close it`, async () => {
      const page = await newPage({ locale, viewport: PHONE });
      await new LoginPage(page, server!.url).signIn(ADMIN.email, ADMIN.password);
      const drawer = new Drawer(page);
      for (const target of PAGES) {
        await openHydrated(page, `${server!.url}${target.path}`);
        await page.locator("main h1").first().waitFor();
        if (target.ready) await page.getByTestId(target.ready).first().waitFor();
        await page.waitForLoadState("networkidle");

        const widths = await pageWidths(page);
        expect(widths.scroll, `${target.path} scrolls sideways: ${widths.wide}`).toBeLessThanOrEqual(widths.inner);
        const header = await headerOverflow(page);
        expect(header.out, `${target.path}: top bar`).toEqual([]);
        expect(header.scroll).toBeLessThanOrEqual(header.client);
        expect(header.height).toBe(48);
        await page.screenshot({ path: path.join(SHOTS, `${locale}-${target.name}.png`), fullPage: true });

        // Closed, the sidebar is out of sight and out of reach; the button says what it does and what it controls.
        const button = page.getByRole("button", { name: menu, exact: true });
        expect(await button.getAttribute("aria-controls")).toBe(await drawer.sidebar().getAttribute("id"));
        await drawer.expectClosed();
        expect(await drawer.sidebar().getAttribute("inert")).not.toBeNull();

        await drawer.open();
        expect(await drawer.sidebar().getAttribute("inert")).toBeNull();
        expect(await page.getByRole("button", { name: close, exact: true }).isVisible()).toBe(true);
        if (target.name === "dashboard") await page.screenshot({ path: path.join(SHOTS, `${locale}-menu-open.png`) });
        await page.keyboard.press("Escape");
        await drawer.expectClosed();
        expect(await page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe("menu-button");

        // A link chosen in the sidebar navigates, and the sidebar closes behind it.
        await drawer.open();
        const next = target.name === "reports" ? { id: "nav-dashboard", url: /\/$/ } : { id: "nav-reports", url: /\/reports$/ };
        await drawer.sidebar().getByTestId(next.id).click();
        await page.waitForURL(next.url);
        await drawer.expectClosed();

        if (target.name === "senders") {
          // Reached from the page we came from again, the sender's delete button is on screen without scrolling.
          await openHydrated(page, `${server!.url}/senders`);
          const row = page.getByTestId(`sender-row-${SENDER}`);
          await row.waitFor();
          expect(await within(page, row.getByRole("button").last())).toBe(true);
          // The table is wider than the phone and scrolls inside its card.
          const table = await page.getByTestId("senders-table").evaluate((element) => ({ table: element.scrollWidth, card: element.parentElement!.clientWidth }));
          expect(table.table).toBeGreaterThan(table.card);
          expect(await within(page, row.getByRole("button").last())).toBe(true);
        }
      }
      // The language switch stays on one line.
      const switches = await page.getByTestId("locale-switch").locator("button").evaluateAll((buttons) => buttons.map((button) => button.getBoundingClientRect().height));
      expect(switches.every((height) => height < 30)).toBe(true);
      expect(page.errors).toEqual([]);
      await page.context().close();
    }, 180_000);
  }

  it("at 390 px a long user and department name are cut short instead of widening the top bar", async () => {
    const page = await newPage({ locale: "zh-CN", viewport: PHONE });
    await new LoginPage(page, server!.url).signIn(LONG_USER.email, LONG_USER.password);
    await page.waitForLoadState("networkidle");
    const header = await headerOverflow(page);
    expect(header.out).toEqual([]);
    expect(header.height).toBe(48);
    const user = await page.getByTestId("header-user").evaluate((element) => ({ shown: element.clientWidth, full: element.scrollWidth, title: element.getAttribute("title") }));
    expect(user.shown).toBeLessThan(user.full);
    expect(user.title).toBe(LONG_USER.email);
    expect(await within(page, page.getByTestId("sign-out"))).toBe(true);
    expect(await within(page, page.getByTestId("menu-button"))).toBe(true);
    const widths = await pageWidths(page);
    expect(widths.scroll).toBeLessThanOrEqual(widths.inner);
    await page.screenshot({ path: path.join(SHOTS, "zh-CN-long-names.png") });
    expect(page.errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  it("at 1440 px the sidebar stands beside the page and there is no menu button", async () => {
    const page = await newPage({ locale: "en-US", viewport: DESKTOP });
    await new LoginPage(page, server!.url).signIn(ADMIN.email, ADMIN.password);
    expect(await page.getByTestId("menu-button").isVisible()).toBe(false);
    expect(await page.getByTestId("sidebar-close").count()).toBe(0);
    const sidebar = await page.getByTestId("sidebar").boundingBox();
    expect(sidebar).toMatchObject({ x: 0, y: 0, width: 208 });
    expect(await page.getByTestId("sidebar").getAttribute("inert")).toBeNull();
    const main = await page.locator("main").boundingBox();
    expect(main!.x).toBe(208);
    await page.getByTestId("nav-pools").click();
    await page.waitForURL(/\/pools$/);
    await page.screenshot({ path: path.join(SHOTS, "en-US-desktop.png") });
    expect(page.errors).toEqual([]);
    await page.context().close();
  }, 60_000);
});
