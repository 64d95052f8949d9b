import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserTestsEnabled } from "../helpers/browser";
import { startServer, type RunningServer } from "../helpers/server";
import { ADMIN, useConsole } from "./harness";
import { LoginPage } from "./pages";

const run = browserTestsEnabled();

const nonceOf = (csp: string | null) => /'nonce-([A-Za-z0-9+/=_-]{16,})'/.exec(csp ?? "")?.[1];

/** Paths of every kind of response: sign-in, console, API, tracking, unsubscribe, not found. */
const PATHS = ["/login", "/", "/templates", "/api/v1/health", "/api/v1/pools", "/t/c/not-a-token", "/t/o/not-a-token", "/u/not-a-token", "/u/confirm?token=x", "/no-such-page"];

describe.skipIf(!run)("security headers on every response", () => {
  const app = useConsole();

  it("every kind of response carries a nonce CSP, nosniff, DENY framing and a referrer policy; tracking and unsubscribe send no referrer", async () => {
    const nonces: string[] = [];
    for (const path of PATHS) {
      const response = await fetch(`${app.url()}${path}`, { redirect: "manual" });
      const csp = response.headers.get("content-security-policy");
      const nonce = nonceOf(csp);
      expect(nonce, `${path} CSP nonce`).toBeTruthy();
      nonces.push(nonce!);
      expect(csp, path).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'(;|$)/);
      for (const directive of ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"]) expect(csp, path).toContain(directive);
      expect(csp, `${path}: no upgrade on plain http`).not.toContain("upgrade-insecure-requests");
      expect(response.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(response.headers.get("x-frame-options"), path).toBe("DENY");
      expect(response.headers.get("referrer-policy"), path).toBe(/^\/[tu]\//.test(path) ? "no-referrer" : "strict-origin-when-cross-origin");
      expect(response.headers.get("strict-transport-security"), `${path}: no HSTS over http`).toBeNull();
    }
    expect(new Set(nonces).size).toBe(PATHS.length);

    // Build output and the icon get the static headers (the proxy skips them).
    const html = await (await fetch(`${app.url()}/login`)).text();
    const script = /<script[^>]+src="(\/_next\/static\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeTruthy();
    for (const path of [script!, "/favicon.svg"]) {
      const response = await fetch(`${app.url()}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(response.headers.get("referrer-policy"), path).toBe("strict-origin-when-cross-origin");
    }
    // The nonce Next.js puts on its scripts is the one in the header.
    const page = await fetch(`${app.url()}/login`);
    const body = await page.text();
    const nonce = nonceOf(page.headers.get("content-security-policy"));
    const scripts = body.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
  });

  it("the sign-in page and every console section render and hydrate with no CSP violation", async () => {
    const page = await app.newPage();
    const violations: string[] = [];
    await page.exposeFunction("reportViolation", (text: string) => violations.push(text));
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (event) => {
        (window as unknown as { reportViolation: (text: string) => void }).reportViolation(`${event.violatedDirective} ${event.blockedURI} on ${location.pathname}`);
      });
    });
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));

    await new LoginPage(page, app.url()).signIn(ADMIN.email, ADMIN.password);
    const sections = await page.getByTestId("sidebar").locator("a[href^='/']").evaluateAll((links) => links.map((link) => link.getAttribute("href") ?? "/"));
    expect(sections.length).toBeGreaterThan(8);
    for (const path of [...new Set([...sections, "/templates/new", "/tasks/new", "/reports/failures"])]) {
      const response = await page.goto(`${app.url()}${path}`);
      expect(response?.status(), path).toBe(200);
      await page.getByTestId("sidebar").waitFor();
      // Hydrated: a link navigates on the client, keeping this window (that needs the framework's scripts, which the CSP must allow).
      await page.evaluate(() => ((window as unknown as { __sameWindow: boolean }).__sameWindow = true));
      await page.getByTestId("sidebar").locator("a[href='/']").first().click();
      await page.waitForURL(`${app.url()}/`);
      await page.getByTestId("sidebar").waitFor();
      expect(await page.evaluate(() => (window as unknown as { __sameWindow?: boolean }).__sameWindow), `${path} hydrated`).toBe(true);
    }
    await page.goto(`${app.url()}/u/not-a-token`);
    await page.waitForLoadState("networkidle");

    expect(violations).toEqual([]);
    expect(errors.filter((text) => /Content Security Policy|Refused to/i.test(text))).toEqual([]);
  });
});

describe.skipIf(!run)("security headers behind https", () => {
  let server: RunningServer | undefined;
  beforeAll(async () => {
    server = await startServer({ FANOUT_PUBLIC_URL: "https://fanout.example.test" });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("sends HSTS and upgrades insecure requests when FANOUT_PUBLIC_URL is https", async () => {
    for (const path of ["/login", "/api/v1/health"]) {
      const response = await fetch(`${server!.url}${path}`, { redirect: "manual" });
      expect(response.headers.get("strict-transport-security"), path).toBe("max-age=31536000; includeSubDomains");
      expect(response.headers.get("content-security-policy"), path).toContain("upgrade-insecure-requests");
    }
  });
});
