import { describe, expect, it } from "vitest";
import { browserTestsEnabled } from "../helpers/browser";
import { ADMIN, useConsole } from "./harness";
import { ConsolePage, LoginPage } from "./pages";

const run = browserTestsEnabled();

describe.skipIf(!run)("contacts by hand (地址维护) in Chromium", () => {
  const app = useConsole();

  it("adds, refuses a duplicate in Chinese, edits, unsubscribes, resubscribes, deletes, and acts on a search", async () => {
    const page = await app.newPage();
    const dialogs: string[] = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });
    await new LoginPage(page, app.url()).signIn(ADMIN.email, ADMIN.password);
    const console = new ConsolePage(page, app.url());
    await console.createDepartment("Support", 1000);
    await console.visit("/pools");
    await page.getByTestId("pool-name").fill("Hand");
    await page.getByTestId("pool-create-form").getByRole("button").click();
    await page.getByTestId("view-pool-Hand").click();
    await page.getByTestId("contact-add-form").waitFor();
    const poolPath = new URL(page.url()).pathname;

    // Add one with a Chinese attribute name; the table shows it.
    const add = page.getByTestId("contact-add-form");
    await add.getByTestId("contact-email").fill("Zhang.Wei@Example.com");
    await add.getByTestId("contact-name").fill("张伟");
    await add.getByLabel("Attribute name").first().fill("城市");
    await add.getByLabel("Value").first().fill("北京");
    await add.getByRole("button", { name: "Add", exact: true }).click();
    await page.getByTestId("contact-added").getByText("Added zhang.wei@example.com.").waitFor();
    const row = page.getByTestId("contacts-table").locator("tr", { hasText: "zhang.wei@example.com" });
    await expect.poll(() => row.textContent()).toContain("城市: 北京");

    // The same address in another case, in the Chinese console: refused naming the contact, in Chinese.
    await page.context().addCookies([{ name: "fanout-locale", value: "zh-CN", url: app.url() }]);
    await page.reload();
    await page.getByTestId("contact-email").fill("ZHANG.WEI@example.COM");
    await page.getByTestId("contact-add-form").getByRole("button", { name: "添加", exact: true }).click();
    const error = page.getByTestId("contact-add-form").getByTestId("form-error");
    await error.waitFor();
    const text = (await error.textContent())!;
    expect(text).toMatch(/^zhang\.wei@example\.com 已在此地址池中：联系人 #\d+ “张伟”。$/);
    await page.context().addCookies([{ name: "fanout-locale", value: "en", url: app.url() }]);
    await page.reload();

    // Edit the name and the attribute.
    const actions = page.getByTestId("contact-actions-zhang.wei@example.com");
    await actions.getByTestId("contact-edit").click();
    const edit = actions.getByTestId("contact-edit-form");
    await edit.getByLabel("Name", { exact: true }).fill("王芳");
    await edit.getByLabel("Value", { exact: true }).first().fill("上海");
    await edit.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => row.textContent()).toContain("王芳");
    expect(await row.textContent()).toContain("城市: 上海");

    // Unsubscribe, then resubscribe.
    await actions.getByRole("button", { name: "Unsubscribe" }).click();
    await expect.poll(() => row.textContent()).toContain("Unsubscribed");
    await actions.getByRole("button", { name: "Resubscribe" }).click();
    await expect.poll(() => row.textContent()).toContain("Active");
    expect(dialogs.slice(0, 2)).toEqual([
      "Unsubscribe zhang.wei@example.com? The department stops sending to it (it goes on the suppression list).",
      "Resubscribe zhang.wei@example.com? It comes off the suppression list only if unsubscribing put it there.",
    ]);

    // Delete it.
    await actions.getByTestId("contact-delete").getByRole("button").click();
    await expect.poll(() => page.getByTestId("contacts-table").textContent()).not.toContain("zhang.wei@example.com");

    // Three more; a search for two of them offers "all 2 matching", confirmed with that count.
    for (const email of ["bj1@example.com", "bj2@example.com", "sh@example.com"]) {
      await page.getByTestId("contact-email").fill(email);
      await page.getByTestId("contact-add-form").getByRole("button", { name: "Add", exact: true }).click();
      await page.getByTestId("contact-added").getByText(`Added ${email}.`).waitFor();
    }
    await console.visit(`${poolPath}?q=bj`);
    await page.getByTestId("bulk-all-matching").check();
    expect(await page.getByTestId("bulk-contacts").textContent()).toContain("All 2 addresses matching the search");
    await page.getByTestId("bulk-delete").click();
    await page.getByTestId("bulk-message").getByText("Deleted 2 addresses from this pool.").waitFor();
    expect(dialogs.at(-1)).toBe("Delete 2 addresses from this pool? Those in no other pool are deleted from the department.");
    await console.visit(poolPath);
    await expect.poll(() => page.getByTestId("contacts-table").locator("tbody tr").count()).toBe(1);
    expect(await page.getByTestId("contacts-table").textContent()).toContain("sh@example.com");
  });
});
