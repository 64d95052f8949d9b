/**
 * List hygiene on import: role, disposable and typo addresses are imported and flagged (with the
 * suggestion for a typo), or skipped when the importer chose so; after the import, the MX check
 * (here against an in-memory resolver, asked once per distinct domain) flags domains that take no
 * mail: NXDOMAIN, no records at all, a Null MX; an A-only domain and a failing one are not flagged.
 * Nothing good is lost: the counts are what they would be without hygiene.
 */
import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { contacts, poolMembers, pools } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { addContact } from "@/lib/pools/contact-edits";
import { addContacts, listContacts } from "@/lib/pools/contacts";
import { importTable } from "@/lib/pools/import-csv";
import { startImport, storeUpload } from "@/lib/pools/import-jobs";
import { importProgress } from "@/lib/pools/import-report";
import { useMxResolver } from "@/lib/pools/hygiene/mx-job";
import type { SkippableFlag } from "@/lib/pools/hygiene/flags";
import { createPool } from "@/lib/pools/pools";
import { describeOnDatabases } from "../helpers/db";
import { streamOf } from "../helpers/bytes";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";
import { MemoryResolver } from "../helpers/memory-resolver";

vi.mock("next/headers", () => ({
  cookies: async () => ({ get: () => undefined }),
  headers: async () => new Headers({ "x-fanout-peer": "198.51.100.7" }),
}));

const CSV = [
  "email,name",
  "admin@example.com,Role", //              2 role
  "ann@mailinator.com,Disposable", //       3 disposable
  "bob@gmial.com,Typo", //                  4 typo → gmail.com (gmial.com is on the disposable list too)
  "carl@qq.con,Typo", //                    5 typo → qq.com; qq.con does not exist: no_mx
  "dan@163.cm,Typo", //                     6 typo → 163.com; 163.cm answers with an MX
  "erin@nxdomain.example,No domain", //     7 no_mx (NXDOMAIN)
  "fay@nullmx.example,Null MX", //          8 no_mx (RFC 7505)
  "gus@aonly.example,A only", //            9 implicit MX: not flagged
  "hal@servfail.example,Failing DNS", //   10 unknown: not flagged
  "ivy@clean.example,Clean", //            11 no flags
  "IVY@Clean.Example,Clean again", //      12 the same address: a duplicate
  "joe@nxdomain.example,Same domain", //   13 no_mx; the domain is asked once
  "kim@empty.example,No records", //       14 no MX, A or AAAA: no_mx
  "not-an-address,Bad", //                 15 invalid
].join("\n");

const ZONES = {
  "example.com": { mx: [{ exchange: "mx.example.com", priority: 10 }] },
  "mailinator.com": { mx: [{ exchange: "mail.mailinator.com", priority: 10 }] },
  "gmial.com": { mx: [{ exchange: "mx.gmial.com", priority: 10 }] },
  "163.cm": { mx: [{ exchange: "mx.163.cm", priority: 10 }] },
  "nullmx.example": { mx: [{ exchange: "", priority: 0 }] },
  "aonly.example": { a: ["192.0.2.10"] },
  "servfail.example": { mx: "ESERVFAIL" },
  "clean.example": { mx: [{ exchange: "mx.clean.example", priority: 5 }] },
  "empty.example": {},
};

const DOMAINS = ["example.com", "mailinator.com", "gmial.com", "qq.con", "163.cm", "nxdomain.example", "nullmx.example", "aonly.example", "servfail.example", "clean.example", "empty.example"];

describeOnDatabases("list hygiene on import", (db) => {
  let ctx: Ctx;
  let departmentId: string;

  beforeAll(async () => {
    const department = await makeDepartment(db());
    departmentId = department.id;
    const user = await makeUser(db(), "department", { departmentId: department.id });
    ctx = { db: db(), actor: actorFor(user, "department", department.id) };
  });

  afterAll(() => useMxResolver(null));

  async function consoleImport(name: string, csv: string, hygiene: { skip: SkippableFlag[]; checkMx: boolean }) {
    const pool = await createPool(ctx, { name: unique(name) });
    const upload = await storeUpload(ctx, pool.id, `${name}.csv`, streamOf(csv));
    await startImport(ctx, upload.id, { mapping: upload.mapping!, hasHeader: true, updateExisting: false, hygiene });
    let progress = await importProgress(ctx, upload.id);
    const settled = () => progress.status !== "running" && (!hygiene.checkMx || ["done", "failed"].includes(progress.hygiene.mx.status));
    for (let attempt = 0; !settled() && attempt < 400; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      progress = await importProgress(ctx, upload.id);
    }
    return { progress, pool };
  }

  async function flagsIn(poolId: string) {
    const rows = await db()
      .select({ email: contacts.email, hygiene: contacts.hygiene, suggestion: contacts.hygieneSuggestion })
      .from(contacts)
      .innerJoin(poolMembers, eq(poolMembers.contactId, contacts.id))
      .where(eq(poolMembers.poolId, poolId));
    return Object.fromEntries(rows.map((row) => [row.email, { flags: [...row.hygiene].sort(), suggestion: row.suggestion }]));
  }

  it("imports every good row, flags each kind on the stored contact and in the report, and asks DNS once per domain", async () => {
    const dns = new MemoryResolver(ZONES);
    useMxResolver(dns);
    const { progress, pool } = await consoleImport("hygiene", CSV, { skip: [], checkMx: true });

    // Nothing good lost: the counts are those of an import without hygiene.
    expect(progress).toMatchObject({ status: "completed", rowsRead: 14, imported: 12, duplicates: 1, invalid: 1, updated: 0 });
    const [stored] = await db().select({ count: pools.contactCount }).from(pools).where(eq(pools.id, pool.id));
    expect(stored!.count).toBe(12);

    expect(await flagsIn(pool.id)).toEqual({
      "admin@example.com": { flags: ["role"], suggestion: null },
      "ann@mailinator.com": { flags: ["disposable"], suggestion: null },
      "bob@gmial.com": { flags: ["disposable", "typo"], suggestion: "bob@gmail.com" },
      "carl@qq.con": { flags: ["no_mx", "typo"], suggestion: "carl@qq.com" },
      "dan@163.cm": { flags: ["typo"], suggestion: "dan@163.com" },
      "erin@nxdomain.example": { flags: ["no_mx"], suggestion: null },
      "fay@nullmx.example": { flags: ["no_mx"], suggestion: null },
      "gus@aonly.example": { flags: [], suggestion: null },
      "hal@servfail.example": { flags: [], suggestion: null },
      "ivy@clean.example": { flags: [], suggestion: null },
      "joe@nxdomain.example": { flags: ["no_mx"], suggestion: null },
      "kim@empty.example": { flags: ["no_mx"], suggestion: null },
    });

    const hygiene = progress.hygiene;
    expect(hygiene.flagged).toEqual({ role: 1, disposable: 2, typo: 3, no_mx: 5 });
    expect(hygiene.skipped).toEqual({ role: 0, disposable: 0, typo: 0 });
    expect(hygiene.examples.role).toEqual([{ line: 2, email: "admin@example.com" }]);
    expect(hygiene.examples.disposable).toEqual([{ line: 3, email: "ann@mailinator.com" }, { line: 4, email: "bob@gmial.com" }]);
    expect(hygiene.examples.typo).toEqual([
      { line: 4, email: "bob@gmial.com", suggestion: "bob@gmail.com" },
      { line: 5, email: "carl@qq.con", suggestion: "carl@qq.com" },
      { line: 6, email: "dan@163.cm", suggestion: "dan@163.com" },
    ]);
    expect(hygiene.examples.no_mx.map((example) => example.email)).toEqual(["carl@qq.con", "erin@nxdomain.example", "fay@nullmx.example", "joe@nxdomain.example", "kim@empty.example"]);
    expect(hygiene.mx).toEqual({ status: "done", domains: 11, noMail: 4, unknown: 1 });

    for (const domain of DOMAINS) expect(dns.count("MX", domain), domain).toBe(1);
    // Address records only where there was no MX to read.
    expect(dns.count("A", "aonly.example")).toBe(1);
    expect(dns.count("A", "clean.example")).toBe(0);
  });

  it("skips the kinds the importer chose, counting them, and keeps the others flagged", async () => {
    const dns = new MemoryResolver(ZONES);
    useMxResolver(dns);
    const { progress, pool } = await consoleImport("skip", CSV, { skip: ["role", "typo"], checkMx: false });
    // admin@ (role) and carl@, dan@, bob@ (typo; bob@ is also disposable) are not imported.
    expect(progress).toMatchObject({ status: "completed", imported: 8, duplicates: 1, invalid: 1 });
    expect(progress.hygiene.skipped).toEqual({ role: 1, disposable: 0, typo: 3 });
    expect(progress.hygiene.flagged).toMatchObject({ role: 0, disposable: 1, typo: 0, no_mx: 0 });
    expect(progress.hygiene.mx.status).toBe("off");
    const flags = await flagsIn(pool.id);
    expect(Object.keys(flags).sort()).not.toContain("admin@example.com");
    expect(flags["ann@mailinator.com"]).toEqual({ flags: ["disposable"], suggestion: null });
    // No DNS when the importer did not ask for the check.
    expect(dns.asked).toEqual([]);
  });

  it("asks no DNS without a resolver unless FANOUT_MX_CHECK allows it, even when the importer asked", async () => {
    useMxResolver(null);
    const { progress, pool } = await consoleImport("no-dns", "email\nnew@nowhere.example\n", { skip: [], checkMx: true });
    expect(progress).toMatchObject({ status: "completed", imported: 1 });
    expect(progress.hygiene.mx.status).toBe("off");
    expect(await flagsIn(pool.id)).toEqual({ "new@nowhere.example": { flags: [], suggestion: null } });
  });

  it("lists a pool's contacts by flag, and flags addresses added by hand or through the API", async () => {
    useMxResolver(new MemoryResolver(ZONES));
    const { pool } = await consoleImport("filter", CSV, { skip: [], checkMx: true });
    const listed = async (hygiene: "role" | "disposable" | "typo" | "no_mx") =>
      (await listContacts(ctx, { poolId: pool.id }, { hygiene })).contacts.map((contact) => contact.email).sort();
    expect(await listed("typo")).toEqual(["bob@gmial.com", "carl@qq.con", "dan@163.cm"]);
    expect(await listed("no_mx")).toEqual(["carl@qq.con", "erin@nxdomain.example", "fay@nullmx.example", "joe@nxdomain.example", "kim@empty.example"]);
    const page = await listContacts(ctx, { poolId: pool.id }, { hygiene: "role" });
    expect(page.contacts).toMatchObject([{ email: "admin@example.com", hygiene: ["role"], hygieneSuggestion: null }]);

    await addContact(ctx, pool.id, { email: "noreply@163.con", name: "", attributes: [] });
    await addContacts(ctx, pool.id, [{ email: "lee@outlok.com" }, { email: "carl@qq.con", name: "Carl" }]);
    const rows = await db()
      .select({ email: contacts.email, hygiene: contacts.hygiene, suggestion: contacts.hygieneSuggestion })
      .from(contacts)
      .where(and(eq(contacts.departmentId, departmentId), inArray(contacts.email, ["noreply@163.con", "lee@outlok.com", "carl@qq.con"])));
    expect(Object.fromEntries(rows.map((row) => [row.email, [row.hygiene, row.suggestion]]))).toEqual({
      "noreply@163.con": [["role", "typo"], "noreply@163.com"],
      "lee@outlok.com": [["typo"], "lee@outlook.com"],
      "carl@qq.con": [["typo", "no_mx"], "carl@qq.com"],
    });
  });

  it("flags the rows of the API and CLI import and skips on request", async () => {
    const pool = await createPool(ctx, { name: unique("api") });
    const report = await importTable(ctx, pool.id, streamOf(CSV), { skipHygiene: ["disposable"] });
    expect(report).toMatchObject({ imported: 10, duplicates: 1, invalidCount: 1 });
    expect(report.hygiene.skipped).toEqual({ role: 0, disposable: 2, typo: 0 });
    expect(report.hygiene.flagged).toMatchObject({ role: 1, disposable: 0, typo: 2 });
    const stored = await db()
      .select({ email: contacts.email, hygiene: contacts.hygiene })
      .from(contacts)
      .where(and(eq(contacts.departmentId, departmentId), inArray(contacts.email, ["dan@163.cm", "admin@example.com", "carl@qq.con"])));
    // The address's own flags are written again; no_mx, found by the first import's check, stays.
    expect(Object.fromEntries(stored.map((row) => [row.email, row.hygiene]))).toEqual({ "dan@163.cm": ["typo"], "admin@example.com": ["role"], "carl@qq.con": ["typo", "no_mx"] });
  });
});
