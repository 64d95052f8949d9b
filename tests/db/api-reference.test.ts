import { renderToStaticMarkup } from "react-dom/server";
import { expect, it, vi } from "vitest";
import ApiReferencePage from "@/app/(console)/admin/api-reference/page";
import { apiRoutes } from "@/lib/api/registry";
import { messagesFor } from "@/lib/i18n";
import { describeOnDatabases } from "../helpers/db";
import { makeDepartment, makeUser } from "../helpers/factories";
import { headers, serveAs } from "../helpers/next-headers";

vi.mock("next/headers", () => import("../helpers/next-headers"));

describeOnDatabases("the console's API reference", (db) => {
  it("shows an admin every operation of the registry with its parameters, body fields and answers, and a manager the Forbidden notice", async () => {
    const admin = await makeUser(db(), "admin");
    await serveAs(admin);
    const page = renderToStaticMarkup(await ApiReferencePage({}));
    if (process.env.DUMP_REFERENCE) (await import("node:fs")).writeFileSync(process.env.DUMP_REFERENCE, page);
    for (const [id, route] of Object.entries(apiRoutes)) {
      expect(page).toContain(`data-testid="operation-${id}"`);
      expect(page).toContain(`/api/v1${route.path}`);
    }
    // A body field with its limit and description, a query parameter's choices, an answer's field, the rate-limit answer.
    expect(page).toContain("Attributes a template reads as {{ attributes.X }}: strings, numbers, booleans or null");
    expect(page).toContain("at most 10,000 items");
    expect(page).toContain("one of queued, sending, sent, delivered, failed, suppressed, cancelled");
    expect(page).toContain("smtpAccountId");
    expect(page).toContain("Retry-After");
    expect(page).toContain('href="/api/v1/openapi.json"');

    // The page's own words follow the reader's language; the operations are the same.
    (await headers()).set("accept-language", "zh-CN,zh;q=0.9");
    const chinese = renderToStaticMarkup(await ApiReferencePage({}));
    expect(chinese).toContain(messagesFor("zh-CN").apiReference.title);
    expect(chinese).toContain("至多 10,000 项");
    expect(chinese).toContain('data-testid="operation-createTask"');

    const department = await makeDepartment(db());
    const manager = await makeUser(db(), "manager", { managed: [department.id] });
    await serveAs(manager);
    const refused = renderToStaticMarkup(await ApiReferencePage({}));
    expect(refused).not.toContain("operation-createTask");
    expect(refused).toContain(messagesFor("en").errors.forbidden);
  });
});
