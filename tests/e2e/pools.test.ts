import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { browserTestsEnabled } from "../helpers/browser";
import { ADMIN, useConsole } from "./harness";
import { ConsolePage, LoginPage } from "./pages";

const ROWS = 40_000;
const run = browserTestsEnabled();

/** A CSV whose first column is not the address, so the mapping step matters; every 1,000th row is broken. */
function writeCsv(file: string) {
  const lines = ["id;full name;e-mail;city"];
  for (let index = 1; index <= ROWS; index++) {
    const address = index % 1000 === 0 ? `broken-${index}` : `person${index}@example.com`;
    lines.push(`${index};"Person ${index}; the ${index % 2 ? "first" : "second"}";${address};${index % 3 ? "Beijing" : "上海"}`);
  }
  fs.writeFileSync(file, `\ufeff${lines.join("\n")}\n`);
}

describe.skipIf(!run)("address pool import in Chromium", () => {
  const app = useConsole();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fanout-csv-")), "customers.csv");

  beforeAll(() => writeCsv(file));

  it("uploads a CSV, maps its columns, shows progress and serves the error report", async () => {
    const page = await app.newPage({ acceptDownloads: true });
    await new LoginPage(page, app.url()).signIn(ADMIN.email, ADMIN.password);
    const console = new ConsolePage(page, app.url());
    await console.createDepartment("Sales", 1_000_000);

    await console.visit("/pools");
    await page.getByTestId("pool-name").fill("Customers");
    await page.getByTestId("pool-create-form").getByRole("button").click();
    await page.getByTestId("import-pool-Customers").click();

    await page.getByTestId("upload-file").setInputFiles(file);
    await page.getByTestId("upload-submit").click();
    await page.getByTestId("mapping-step").waitFor();
    expect(await page.getByTestId("detected").textContent()).toMatch(/^CSV · utf-8 · delimiter ; ·/);
    // The address column was recognised from its header; choose the name column by hand.
    expect(await page.getByTestId("map-email").inputValue()).toBe("2");
    await page.getByTestId("map-name").selectOption("1");
    await page.getByTestId("map-attribute-0").uncheck();
    await page.getByTestId("map-attribute-3").check();

    // Record every status the progress panel shows, to see it move and not only its end.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seenStatuses: string[] }).seenStatuses = seen;
      new MutationObserver(() => {
        const panel = document.querySelector("[data-testid=import-progress]");
        const bar = document.querySelector("[data-testid=progress-bar]") as HTMLElement | null;
        if (panel) seen.push(`${panel.getAttribute("data-status")}:${bar?.style.width ?? ""}`);
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await page.getByTestId("mapping-form").getByRole("button").click();
    await page.waitForSelector("[data-testid=import-progress][data-status=completed]", { timeout: 120_000 });
    const seen = await page.evaluate(() => (window as unknown as { seenStatuses: string[] }).seenStatuses);
    expect(seen.some((entry) => entry.startsWith("running:"))).toBe(true);
    expect(seen[seen.length - 1]).toBe("completed:100%");
    expect(page.url()).toMatch(/\/import\?job=[0-9a-f-]{36}$/);

    const invalid = ROWS / 1000;
    expect(await page.getByTestId("count-rows").textContent()).toBe(ROWS.toLocaleString("en-US"));
    expect(await page.getByTestId("count-imported").textContent()).toBe((ROWS - invalid).toLocaleString("en-US"));
    expect(await page.getByTestId("count-invalid").textContent()).toBe(String(invalid));

    // The page survives a reload: the job is in the URL and its state in the database.
    await page.reload();
    await page.waitForSelector("[data-testid=import-progress][data-status=completed]");

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("error-report").click()]);
    const report = fs.readFileSync((await download.path())!, "utf8").replace(/^\ufeff/, "").trim().split("\r\n");
    expect(report[0]).toBe("line,reason,value");
    expect(report).toHaveLength(invalid + 1);
    expect(report[1]).toBe("1001,missing @,broken-1000");

    await console.visit("/pools");
    expect(await page.getByTestId("pool-count-Customers").textContent()).toBe((ROWS - invalid).toLocaleString("en-US"));
    await page.getByTestId("view-pool-Customers").click();
    await page.getByTestId("contact-search").fill("person39999@");
    await page.getByTestId("contact-search").press("Enter");
    await expect.poll(() => page.getByTestId("contacts-table").locator("tbody tr").count()).toBe(1);
    expect(await page.getByTestId("contacts-table").textContent()).toContain("Person 39999; the first");
    expect(await page.getByTestId("contacts-table").textContent()).toContain("city: 上海");
  });
});
