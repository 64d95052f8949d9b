import { afterAll, beforeAll } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../helpers/browser";
import { startServer, type RunningServer } from "../helpers/server";
import { ConsolePage, LoginPage } from "./pages";

export const ADMIN = { email: "admin@fanout.test", password: "admin password 1" };

/**
 * The production server (with ADMIN as its first admin) and a Chromium, started once for the
 * calling suite and stopped after it. Call inside a `describe`; `env` adds to the server's
 * environment, read when the server starts (after the suite's earlier `beforeAll`s, so it may name
 * a fake service they started).
 */
export function useConsole(env: () => Record<string, string> = () => ({})) {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    server = await startServer({ ...env(), FANOUT_ADMIN_EMAIL: ADMIN.email, FANOUT_ADMIN_PASSWORD: ADMIN.password });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });
  const newPage = async (options: { acceptDownloads?: boolean } = {}): Promise<Page> =>
    (await browser!.newContext({ locale: "en-US", acceptDownloads: options.acceptDownloads ?? false })).newPage();
  return {
    url: () => server!.url,
    newPage,
    /** A page signed in as ADMIN that accepts every confirmation and collects uncaught page errors, with its console page object. */
    signedInAdmin: async () => {
      const page = await newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      page.on("dialog", (dialog) => void dialog.accept());
      await new LoginPage(page, server!.url).signIn(ADMIN.email, ADMIN.password);
      return { page, errors, console: new ConsolePage(page, server!.url) };
    },
  };
}
