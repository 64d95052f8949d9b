import path from "node:path";
import { defineConfig } from "vitest/config";

const root = path.dirname(new URL(import.meta.url).pathname);

export default defineConfig({
  resolve: {
    alias: {
      "@": root,
      // The real package throws outside React Server Components; tests import server modules directly.
      "server-only": path.join(root, "tests/helpers/server-only.ts"),
    },
  },
  test: {
    include: ["tests/**/*.test.ts"],
    environment: "node",
    pool: "forks",
    // Two files at a time even on two cores (vitest's default there is one): the browser, CLI and
    // stress tests spend most of their time waiting on a server process, and sequentially the suite
    // took 14.7 min against 11.6 with two (issue 11's stress and security tests added ~10 min of work).
    maxWorkers: 2,
    // expect.poll waits for a page or a server to catch up; 1 s (vitest's default) is too short for a
    // console under two test files' load (a locale switch missed it once). It returns as soon as it holds.
    expect: { poll: { timeout: 15_000 } },
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ["default", "./tests/helpers/summary-reporter.ts"],
    globalSetup: ["tests/helpers/global-setup.ts"],
    setupFiles: ["tests/helpers/setup.ts"],
  },
});
