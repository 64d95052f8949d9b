/**
 * The import's COPY path (decision 0074): on node-postgres the contacts are COPYed FROM STDIN
 * into a staging table and merged from there (PGlite's FROM '/dev/blob' is tested by choosing
 * it). Everything a user can check must come out as it did through the JSON parameter: the same
 * contacts, names, attributes, flags, counts and line numbers, whatever the values hold and
 * however the rows fall into batches.
 */
import { asc, eq, sql } from "drizzle-orm";
import { beforeAll, expect, it, vi } from "vitest";
import { queryRows } from "@/db/client";
import { contacts, contactSearch, poolMembers, pools } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { importRows, type BatchOutcome, type ImportCounts } from "@/lib/pools/import";
import { stagingModeOf, type StagingMode } from "@/lib/pools/import-copy";
import { importTable } from "@/lib/pools/import-csv";
import { listContacts } from "@/lib/pools/contacts";
import { mappingFromHeader } from "@/lib/pools/mapping";
import { openTable } from "@/lib/pools/parse";
import { createPool } from "@/lib/pools/pools";
import { peekRows } from "@/lib/pools/rows";
import { indexPendingContacts } from "@/lib/pools/search";
import { describeOnDatabases } from "../helpers/db";
import { GB18030, streamOf } from "../helpers/bytes";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";

vi.mock("next/headers", () => import("../helpers/next-headers"));

const BOM = [0xef, 0xbb, 0xbf];
/** Values COPY's text format must escape (backslash, tab, line ends, a literal \N) next to CSV's own quoting. */
const AWKWARD = [
  "email,name,note,path", //                                              1
  'a@example.com,"Ann, the first","tab\there","C:\\Users\\ann"', //        2
  'b@example.com,Bob,"two\r\nlines",\\N', //                              3 and 4
  "not-an-address,Nobody,,", //                                           5 invalid in the middle
  'B@EXAMPLE.COM,,"{""json"": ""quotes""}",', //                          6 duplicate in other case
  "c@example.com,王芳,中文,", //                                           7
  "noreply@example.com,Role,,", //                                        8 role flag
  "d@gmial.com,Typo,,", //                                                9 typo flag
  ",Nothing,,", //                                                       10 invalid
  "A@Example.com,Ann again,later,", //                                   11 duplicate in other case
].join("\r\n");

describeOnDatabases("import through COPY", (db, target) => {
  let ctx: Ctx;
  let departmentId: string;

  beforeAll(async () => {
    const department = await makeDepartment(db());
    departmentId = department.id;
    const user = await makeUser(db(), "department", { departmentId });
    ctx = { db: db(), actor: actorFor(user, "department", departmentId) };
  });

  /** Imports `csv` in batches of `batchSize` rows and returns the totals, each batch's outcome and the pool's contacts. */
  async function importInBatches(parts: (string | number[])[], options: { batchSize: number; staging?: StagingMode; updateExisting?: boolean; poolId?: string; resumeAfterLine?: number }) {
    const poolId = options.poolId ?? (await createPool(ctx, { name: unique("copy") })).id;
    const source = await openTable(streamOf(...parts), {});
    const { head, all } = await peekRows(source.rows, 1);
    const mapping = mappingFromHeader(head[0]!.fields)!;
    const outcomes: BatchOutcome[] = [];
    const totals: ImportCounts = await importRows({
      db: db(),
      departmentId,
      poolId,
      rows: all,
      mapping,
      hasHeader: true,
      updateExisting: options.updateExisting ?? false,
      batchSize: options.batchSize,
      staging: options.staging,
      resumeAfterLine: options.resumeAfterLine,
      record: async (_tx, outcome) => {
        outcomes.push(outcome);
      },
    });
    const stored = await db()
      .select({ email: contacts.email, name: contacts.name, attributes: contacts.attributes, hygiene: contacts.hygiene, suggestion: contacts.hygieneSuggestion })
      .from(contacts)
      .innerJoin(poolMembers, eq(poolMembers.contactId, contacts.id))
      .where(eq(poolMembers.poolId, poolId))
      .orderBy(asc(contacts.email));
    const [pool] = await db().select({ count: pools.contactCount }).from(pools).where(eq(pools.id, poolId));
    return { poolId, totals, outcomes, stored, poolCount: pool!.count };
  }

  // PGlite's COPY FROM '/dev/blob' is chosen explicitly below: by default PGlite keeps the JSON batches (0074).
  const copyMode = (): StagingMode => (target === "pglite" ? "pglite" : "pg");

  it("stages through COPY on Postgres and through JSON batches on PGlite", () => {
    expect(stagingModeOf(db())).toBe(target === "pglite" ? "json" : "pg");
  });

  it("keeps escaped values, counts and line numbers exactly as the JSON path, batch by batch", async () => {
    const viaCopy = await importInBatches([BOM, AWKWARD], { batchSize: 4, staging: copyMode() });
    const viaJson = await importInBatches([BOM, AWKWARD], { batchSize: 4, staging: "json" });
    expect(viaCopy.totals).toEqual({ rowsRead: 9, imported: 5, updated: 0, duplicates: 2, invalid: 2, badPhones: 0 });
    expect(viaCopy.poolCount).toBe(5);
    // A bad row in the middle of a batch costs only itself; the last batch's one row is a repeat of the first.
    expect(viaCopy.outcomes.map((outcome) => [outcome.lastLine, outcome.imported, outcome.duplicates, outcome.invalidRows.map((row) => [row.line, row.reason])])).toEqual([
      [6, 2, 1, [[5, "addressMissingAt"]]],
      [10, 3, 0, [[10, "importNoAddress"]]],
      [11, 0, 1, []],
    ]);
    expect(viaCopy.stored).toEqual([
      { email: "a@example.com", name: "Ann, the first", attributes: { note: "tab\there", path: "C:\\Users\\ann" }, hygiene: [], suggestion: null },
      { email: "b@example.com", name: "Bob", attributes: { note: "two\r\nlines", path: "\\N" }, hygiene: [], suggestion: null },
      { email: "c@example.com", name: "王芳", attributes: { note: "中文" }, hygiene: [], suggestion: null },
      { email: "d@gmial.com", name: "Typo", attributes: {}, hygiene: ["disposable", "typo"], suggestion: "d@gmail.com" },
      { email: "noreply@example.com", name: "Role", attributes: {}, hygiene: ["role"], suggestion: null },
    ]);
    expect(viaCopy.outcomes.map((outcome) => outcome.hygiene.flagged)).toEqual(viaJson.outcomes.map((outcome) => outcome.hygiene.flagged));
    expect({ ...viaJson, poolId: "" }).toEqual({ ...viaCopy, poolId: "" });
  });

  it("updates existing contacts through COPY as through JSON: names kept when empty, attributes merged, changes counted", async () => {
    const first = await importInBatches([AWKWARD], { batchSize: 100, staging: copyMode() });
    const again = await importInBatches([AWKWARD], { batchSize: 100, poolId: first.poolId, updateExisting: true, staging: copyMode() });
    // Within the file, the later spelling of a@ and b@ is merged into the first (name kept when empty).
    expect(again.totals).toEqual({ rowsRead: 9, imported: 0, updated: 2, duplicates: 7, invalid: 2, badPhones: 0 });
    expect(again.stored.find((contact) => contact.email === "a@example.com")).toMatchObject({ name: "Ann again", attributes: { note: "later", path: "C:\\Users\\ann" } });
    expect(again.stored.find((contact) => contact.email === "b@example.com")).toMatchObject({ name: "Bob", attributes: { note: '{"json": "quotes"}', path: "\\N" } });
  });

  it("resumes after the last committed line through COPY", async () => {
    const resumed = await importInBatches([AWKWARD], { batchSize: 2, resumeAfterLine: 6, staging: copyMode() });
    expect(resumed.totals).toEqual({ rowsRead: 5, imported: 4, updated: 0, duplicates: 0, invalid: 1, badPhones: 0 });
    expect(resumed.outcomes.map((outcome) => outcome.lastLine)).toEqual([8, 10, 11]);
    expect(resumed.stored.map((contact) => [contact.email, contact.name])).toEqual([
      ["a@example.com", "Ann again"],
      ["c@example.com", "王芳"],
      ["d@gmial.com", "Typo"],
      ["noreply@example.com", "Role"],
    ]);
  });

  it("reads GB18030, a BOM and quoted commas through importTable and leaves the contacts searchable", async () => {
    const pool = await createPool(ctx, { name: unique("gb") });
    const report = await importTable(
      ctx,
      pool.id,
      streamOf("email,name,company\n", "zhang@example.cn,", GB18030.zhangWei, ',"Acme, Inc."\n', "ZHANG@example.cn,again,\n", "wang@example.cn,", GB18030.wangFang, ",x\n"),
    );
    expect(report).toMatchObject({ imported: 2, duplicates: 1, rows: 3, invalidCount: 0 });
    await indexPendingContacts(db());
    const found = await listContacts(ctx, { poolId: pool.id }, { q: "acme, inc" });
    expect(found.contacts.map((contact) => [contact.email, contact.name])).toEqual([["zhang@example.cn", "张伟"]]);
    const indexed = await db().select({ id: contactSearch.contactId }).from(contactSearch).innerJoin(poolMembers, eq(poolMembers.contactId, contactSearch.contactId)).where(eq(poolMembers.poolId, pool.id));
    expect(indexed).toHaveLength(2);
  });

  it("indexes a large import for search in the same pass on Postgres (updates included), and through the indexer on PGlite", async () => {
    const pool = await createPool(ctx, { name: unique("large") });
    const csv = (city: (i: number) => string) =>
      ["email,name,city", ...Array.from({ length: 10_500 }, (_, i) => `person${i}@large.example,Person ${i},${city(i)}`)].join("\n");
    const state = async () => {
      const [row] = await queryRows<{ pending: number; indexed: number }>(
        db(),
        sql`select count(*) filter (where contacts.search_pending)::int as pending, count(contact_search.contact_id)::int as indexed
            from pool_members join contacts on contacts.id = pool_members.contact_id
            left join contact_search on contact_search.contact_id = contacts.id where pool_members.pool_id = ${pool.id}`,
      );
      return row;
    };
    const find = async (q: string) => (await listContacts(ctx, { poolId: pool.id }, { q })).contacts.map((contact) => contact.email);
    const inPass = target === "postgres";

    const report = await importTable(ctx, pool.id, streamOf(csv((i) => (i === 7_777 ? "Nairobi" : "Beijing"))));
    expect(report).toMatchObject({ imported: 10_500, duplicates: 0, rows: 10_500 });
    expect(await find("nairobi")).toEqual(["person7777@large.example"]);
    expect(await state()).toEqual(inPass ? { pending: 0, indexed: 10_500 } : { pending: 10_500, indexed: 0 });
    if (!inPass) await indexPendingContacts(db());

    const updated = await importTable(ctx, pool.id, streamOf(csv((i) => (i === 7_777 ? "Nairobi" : i === 42 ? "Toronto" : "Beijing"))), { updateExisting: true });
    expect(updated).toMatchObject({ imported: 0, duplicates: 10_500, updated: 1 });
    expect(await find("toronto")).toEqual(["person42@large.example"]);
    expect(await state()).toEqual(inPass ? { pending: 0, indexed: 10_500 } : { pending: 10_500, indexed: 10_500 });
    if (!inPass) await indexPendingContacts(db());
    expect(await find("toronto")).toEqual(["person42@large.example"]);
    expect(await find("nairobi")).toEqual(["person7777@large.example"]);
  });
});
