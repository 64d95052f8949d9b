import fs from "node:fs";
import { chromium, type Browser } from "playwright-core";

export function chromiumPath(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  return candidates.find((candidate): candidate is string => !!candidate && fs.existsSync(candidate)) ?? null;
}

/** Browser tests run when Chromium is installed; under CI=true a missing browser is a failure, never a skip. */
export function browserTestsEnabled(): boolean {
  if (chromiumPath()) return true;
  if (process.env.CI === "true") throw new Error("CI=true but Chromium is missing: apt-get install -y chromium");
  return false;
}

export function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error("Chromium is not installed");
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}
