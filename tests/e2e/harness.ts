import { afterAll, beforeAll } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../helpers/browser";
import { startServer, type RunningServer } from "../helpers/server";

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
  return {
    url: () => server!.url,
    newPage: async (options: { acceptDownloads?: boolean } = {}): Promise<Page> =>
      (await browser!.newContext({ locale: "en-US", acceptDownloads: options.acceptDownloads ?? false })).newPage(),
  };
}
