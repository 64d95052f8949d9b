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
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ["default", "./tests/helpers/summary-reporter.ts"],
    setupFiles: ["tests/helpers/setup.ts"],
  },
});
