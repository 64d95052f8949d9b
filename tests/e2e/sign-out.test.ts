import { describe, expect, it } from "vitest";
import { browserTestsEnabled } from "../helpers/browser";
import { ADMIN, useConsole } from "./harness";
import { ConsolePage, LoginPage, openHydrated } from "./pages";

const run = browserTestsEnabled();

describe.skipIf(!run)("signing out in Chromium", () => {
  const app = useConsole();

  it("ends the session for every copy of its cookie", async () => {
    const page = await app.newPage();
    await new LoginPage(page, app.url()).signIn(ADMIN.email, ADMIN.password);
    const copied = (await page.context().cookies()).filter((cookie) => cookie.name.includes("session-token"));
    expect(copied.length).toBeGreaterThan(0);

    // The copy works while the session lasts…
    const elsewhere = await app.newPage();
    await elsewhere.context().addCookies(copied);
    await openHydrated(elsewhere, `${app.url()}/`);
    await elsewhere.getByTestId("sidebar").waitFor();

    // …and not after its owner signed out.
    await new ConsolePage(page, app.url()).signOut();
    await openHydrated(elsewhere, `${app.url()}/`);
    await elsewhere.getByTestId("login-form").waitFor();
    expect(await elsewhere.getByTestId("sidebar").count()).toBe(0);
  });
});
