#!/usr/bin/env node
// `npm test`: the whole suite. Builds the app when the production build is missing or older
// than the sources (browser and CLI tests run the real server), then runs vitest.
// Without Chromium the browser tests are skipped, said plainly; under CI=true that is a failure.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SOURCES = ["app", "components", "lib", "db", "inngest", "public", "instrumentation.ts", "next.config.ts", "postcss.config.mjs", "package-lock.json"];

function newestSourceTime() {
  let newest = 0;
  const visit = (target) => {
    if (!fs.existsSync(target)) return;
    const stat = fs.statSync(target);
    if (stat.isDirectory()) for (const entry of fs.readdirSync(target)) visit(path.join(target, entry));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const source of SOURCES) visit(path.join(root, source));
  return newest;
}

function chromiumPath() {
  return [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((candidate) => candidate && fs.existsSync(candidate));
}

const buildId = path.join(root, ".next", "BUILD_ID");
if (!fs.existsSync(buildId) || fs.statSync(buildId).mtimeMs < newestSourceTime()) {
  console.log("[test] the production build is missing or older than the sources: running next build");
  const build = spawnSync(process.execPath, [path.join(root, "node_modules", "next", "dist", "bin", "next"), "build"], { cwd: root, stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

if (!chromiumPath()) {
  if (process.env.CI === "true") {
    console.error("[test] CI=true and Chromium is missing: the browser tests cannot run. Install it: apt-get install -y chromium");
    process.exit(1);
  }
  console.warn(
    "\n[test] BROWSER TESTS SKIPPED: Chromium was not found (looked at $CHROMIUM_PATH, /usr/bin/chromium).\n" +
      "[test] To run them: apt-get install -y chromium (or set CHROMIUM_PATH to a Chromium binary).\n",
  );
}

const vitest = spawnSync(process.execPath, [path.join(root, "node_modules", "vitest", "vitest.mjs"), "run", ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
});
if (!chromiumPath()) console.warn("\n[test] Reminder: the browser tests were SKIPPED (no Chromium). apt-get install -y chromium to run them.\n");
process.exit(vitest.status ?? 1);
