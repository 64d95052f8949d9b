import { and, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { suppressions } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import { addSuppressions, isSuppressionCursor, listSuppressions, pastedEntries, REPORTED_INVALID_LINES, SUPPRESSION_PAGE_SIZE } from "@/lib/pools/suppression";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeDepartment, makeUser } from "../helpers/factories";

it("splits a paste into entries with their line numbers, keeping a quoted name's comma", () => {
  expect(pastedEntries('a@example.com, b@example.com\r\n\r\n"Smith, John" <john@example.com>; c@example.com\nnope')).toEqual([
    { line: 1, value: "a@example.com" },
    { line: 1, value: "b@example.com" },
    { line: 3, value: '"Smith, John" <john@example.com>' },
    { line: 3, value: "c@example.com" },
    { line: 4, value: "nope" },
  ]);
});

describeOnDatabases("suppression paste", (db) => {
  async function departmentCtx() {
    const department = await makeDepartment(db());
    const user = await makeUser(db(), "department", { departmentId: department.id });
    return { department, ctx: { db: db(), actor: actorFor(user, "department", department.id) } };
  }
  const listed = async (departmentId: string) =>
    (await db().select({ email: suppressions.email }).from(suppressions).where(eq(suppressions.departmentId, departmentId))).map((row) => row.email).sort();

  it("adds the valid lines and names each invalid one by line number and its text, truncated", async () => {
    const { department, ctx } = await departmentCtx();
    const long = `${"x".repeat(100)}-not-an-address`;
    const paste = ["ok1@example.com", "not an address", "", '"张三" <zhang@example.com>', long, "Li Si <li@example.com>, broken@, ok2@example.com"].join("\n");
    const result = await addSuppressions(ctx, { addresses: paste, reason: "manual" });
    expect(result).toMatchObject({ added: 4, alreadySuppressed: 0, invalidCount: 3 });
    expect(result.invalid.map(({ line, value }) => ({ line, value }))).toEqual([
      { line: 2, value: "not an address" },
      { line: 5, value: `${"x".repeat(59)}…` },
      { line: 6, value: "broken@" },
    ]);
    expect(result.invalid.every((entry) => entry.reason.length > 0)).toBe(true);
    expect(await listed(department.id)).toEqual(["li@example.com", "ok1@example.com", "ok2@example.com", "zhang@example.com"]);
  });

  it("names the first invalid lines of a long paste and counts the rest, still adding every valid one", async () => {
    const { department, ctx } = await departmentCtx();
    const lines = Array.from({ length: 400 }, (_, n) => (n % 2 === 0 ? `good${n}@example.com` : `bad line ${n + 1}`));
    const result = await addSuppressions(ctx, { addresses: lines.join("\n"), reason: "complaint" });
    expect(result).toMatchObject({ added: 200, invalidCount: 200 });
    expect(result.invalid).toHaveLength(REPORTED_INVALID_LINES);
    expect(result.invalid.slice(0, 2).map((entry) => entry.line)).toEqual([2, 4]);
    expect(result.invalid.every((entry) => entry.value === `bad line ${entry.line}`)).toBe(true);
    const stored = await db().select({ email: suppressions.email }).from(suppressions).where(and(eq(suppressions.departmentId, department.id), eq(suppressions.reason, "complaint")));
    expect(stored).toHaveLength(200);
  });

  it("pages through one paste's addresses, which share one time, reaching each exactly once", async () => {
    const { department, ctx } = await departmentCtx();
    const other = await makeDepartment(db());
    const emails = Array.from({ length: 130 }, (_, n) => `walk${n}@example.com`);
    await addSuppressions(ctx, { addresses: emails.join("\n"), reason: "manual" });
    // The same addresses in another department, at the very same instant: an admin's walk sees both.
    await db()
      .insert(suppressions)
      .values((await db().select().from(suppressions).where(eq(suppressions.departmentId, department.id))).map((row) => ({ ...row, departmentId: other.id })));

    const walk = async (walker: typeof ctx, q: string) => {
      const seen: string[] = [];
      let before: string | undefined;
      for (let pages = 0; pages < 20; pages++) {
        const page = await listSuppressions(walker, { q, before });
        expect(page.rows.length).toBeLessThanOrEqual(SUPPRESSION_PAGE_SIZE);
        seen.push(...page.rows.map((row) => `${row.departmentId}:${row.email}`));
        if (!page.nextBefore) return seen;
        expect(isSuppressionCursor(page.nextBefore)).toBe(true);
        before = page.nextBefore;
      }
      throw new Error("the walk did not end");
    };
    const own = await walk(ctx, "walk");
    expect(own).toHaveLength(130);
    expect(new Set(own)).toEqual(new Set(emails.map((email) => `${department.id}:${email}`)));
    const all = await walk({ db: db(), actor: systemActor("test") }, "walk");
    expect(all).toHaveLength(260);
    expect(new Set(all).size).toBe(260);
  });
});
