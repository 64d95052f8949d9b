import { and, eq, sql } from "drizzle-orm";
import ExcelJS from "exceljs";
import { simpleParser } from "mailparser";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { queryRows } from "@/db/client";
import { auditLog, auxiliaryMail, contacts, imports, outboxMessages, pools, suppressions } from "@/db/schema";
import { AUXILIARY_MAIL_LIMITS } from "@/lib/accounts/mail-limits";
import { POST as importRoute } from "@/app/api/v1/pools/[id]/import/route";
import { GET as contactsRoute } from "@/app/api/v1/pools/[id]/contacts/route";
import { POST as subscribeRoute } from "@/app/api/v1/subscribe/route";
import { GET as exportRoute } from "@/app/(console)/pools/[id]/export/route";
import { GET as progressRoute } from "@/app/(console)/imports/[id]/route";
import { GET as errorsRoute } from "@/app/(console)/imports/[id]/errors/route";
import { encodeSessionToken } from "@/lib/auth/session";
import { systemActor, type Actor } from "@/lib/access/actor";
import { createApiKey } from "@/lib/accounts/api-keys";
import type { Ctx } from "@/lib/access/context";
import { AppError } from "@/lib/errors";
import { listContacts } from "@/lib/pools/contacts";
import { exportContacts } from "@/lib/pools/export";
import { importTable } from "@/lib/pools/import-csv";
import { startImport, storeUpload } from "@/lib/pools/import-jobs";
import { importErrorLines, importProgress } from "@/lib/pools/import-report";
import { clearPool, createPool, transferContacts, uncategorisedCounts } from "@/lib/pools/pools";
import { indexPendingContacts } from "@/lib/pools/search";
import { confirmSubscription, subscribe, unsubscribe } from "@/lib/pools/subscribe";
import { addSuppressions, removeSuppression } from "@/lib/pools/suppression";
import { describeOnDatabases } from "../helpers/db";
import { GB18030, streamOf } from "../helpers/bytes";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";
import { rejection } from "../helpers/rejection";

vi.mock("next/headers", () => import("../helpers/next-headers"));

const BOM = [0xef, 0xbb, 0xbf];
// Line numbers matter: the report must name them.
const NASTY = [
  "email,name,city,note", //                                   1 header
  'alice@example.com,Alice,Beijing,"likes, commas"', //          2
  'BOB@Example.com,"Bob ""the builder""",Shanghai,"multi', //    3
  'line note"', //                                               4 (inside line 3's record)
  "", //                                                         5 blank
  "bob@example.com,Bob again,Shenzhen,same as line 3", //        6 duplicate
  "not-an-address,Nobody,Nowhere,", //                          7 invalid
  "carol@例子.中国,王芳,Hangzhou,IDN", //                        8
  "dave@@example.com,Dave,,", //                                 9 invalid
  "   ", //                                                     10 blank
  '"eve@example.com",Eve,"Guangzhou, Tianhe",', //              11
  "ALICE@EXAMPLE.COM,Alice Upper,,dup", //                      12 duplicate
  ",No email,,", //                                             13 invalid
  "frank@example,Frank,,no dot", //                             14 invalid
].join("\r\n");

const EXPECTED_INVALID = [
  { line: 7, reason: "missing @" },
  { line: 9, reason: "more than one @" },
  { line: 13, reason: "no address in the address column" },
  { line: 14, reason: "the domain has no dot (expected something like example.com)" },
];

function apiRequest(key: string, body: AsyncIterable<Uint8Array> | string, type = "text/csv", query = "") {
  const stream =
    typeof body === "string"
      ? body
      : new ReadableStream<Uint8Array>({
          async start(controller) {
            for await (const chunk of body) controller.enqueue(chunk);
            controller.close();
          },
        });
  return new Request(`http://fanout.test/api/v1/pools/x/import${query}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": type, "x-forwarded-for": "192.0.2.10" },
    body: stream,
    duplex: "half",
  } as RequestInit);
}

describeOnDatabases("address pools", (db) => {
  let department: { id: string; name: string };
  let user: { id: string; email: string };
  let ctx: Ctx;
  let key: string;

  beforeAll(async () => {
    department = await makeDepartment(db());
    user = await makeUser(db(), "department", { departmentId: department.id });
    ctx = { db: db(), actor: actorFor(user, "department", department.id) };
    key = (await createApiKey(ctx, { name: "crm", scope: { company: false, departmentId: department.id } })).secret;
  });

  it("imports a BOM file with quoted commas and newlines, blank lines, case duplicates and bad rows exactly", async () => {
    const pool = await createPool(ctx, { name: unique("nasty") });
    const report = await importTable(ctx, pool.id, streamOf(BOM, NASTY));
    expect(report).toMatchObject({ imported: 4, duplicates: 2, rows: 10 });
    expect(report.invalid).toEqual(EXPECTED_INVALID);
    const page = await listContacts(ctx, { poolId: pool.id });
    expect(page.contacts.map((contact) => contact.email).sort()).toEqual(["alice@example.com", "bob@example.com", "carol@xn--fsqu00a.xn--fiqs8s", "eve@example.com"]);
    const bob = page.contacts.find((contact) => contact.email === "bob@example.com")!;
    expect(bob.name).toBe('Bob "the builder"');
    expect(bob.attributes).toEqual({ city: "Shanghai", note: "multi\r\nline note" });
    expect(page.contacts.find((contact) => contact.email.startsWith("eve"))!.attributes.city).toBe("Guangzhou, Tianhe");
    expect(page.contacts.find((contact) => contact.email.startsWith("carol"))!.name).toBe("王芳");
    const [row] = await db().select({ count: pools.contactCount }).from(pools).where(eq(pools.id, pool.id));
    expect(row!.count).toBe(4);

    const again = await importTable(ctx, pool.id, streamOf(BOM, NASTY));
    expect(again).toMatchObject({ imported: 0, duplicates: 6 });
    expect(again.invalid).toEqual(EXPECTED_INVALID);
    const [after] = await db().select({ count: pools.contactCount }).from(pools).where(eq(pools.id, pool.id));
    expect(after!.count).toBe(4);
    const [stored] = await queryRows<{ count: number }>(db(), sql`select count(*)::int as count from contacts where department_id = ${department.id} and email like 'alice%'`);
    expect(stored!.count).toBe(1);
  });

  it("reads GB18030 Chinese names through POST /api/v1/pools/{id}/import", async () => {
    expect(new TextDecoder("gb18030").decode(Uint8Array.from([...GB18030.zhangWei, ...GB18030.wangFang]))).toBe("张伟王芳");
    const pool = await createPool(ctx, { name: unique("gbk") });
    const body = streamOf("email,name,city\n", "zhang@example.cn,", GB18030.zhangWei, ",", GB18030.zhongWen, "\n", "WANG@example.cn,", GB18030.wangFang, ",x\n", "wang@example.cn,again,\n", "broken,", GB18030.zhangWei, ",\n");
    const response = await importRoute(apiRequest(key, body), { params: Promise.resolve({ id: pool.id }) });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ imported: 2, duplicates: 1, invalid: [{ line: 5, reason: "missing @" }] });
    const listed = await contactsRoute(
      new Request(`http://fanout.test/api/v1/pools/${pool.id}/contacts?limit=10`, { headers: { authorization: `Bearer ${key}` } }),
      { params: Promise.resolve({ id: pool.id }) },
    );
    const body2 = (await listed.json()) as { contacts: { email: string; name: string; attributes: Record<string, string> }[]; nextCursor: string | null };
    // Within a batch, contacts are added in address order.
    expect(body2.contacts.map((contact) => [contact.email, contact.name])).toEqual([
      ["wang@example.cn", "王芳"],
      ["zhang@example.cn", "张伟"],
    ]);
    expect(body2.contacts[1]!.attributes.city).toBe("中文");
    expect(body2.nextCursor).toBeNull();
  });

  it("leaves out the list-hygiene kinds named in ?skip= and reports the flagged rest; an unknown kind is refused by name", async () => {
    const pool = await createPool(ctx, { name: unique("skip") });
    const csv = "email\nann@gmial.com\nnoreply@example.cn\nplain@example.cn\n";
    const response = await importRoute(apiRequest(key, csv, "text/csv", "?skip=typo"), { params: Promise.resolve({ id: pool.id }) });
    expect(response.status).toBe(200);
    const report = (await response.json()) as { imported: number; hygiene: { flagged: Record<string, number>; skipped: Record<string, number>; examples: Record<string, { line: number; email: string }[]> } };
    expect(report).toMatchObject({ imported: 2, hygiene: { skipped: { typo: 1, role: 0 }, flagged: { role: 1 } } });
    expect(report.hygiene.examples.role).toEqual([expect.objectContaining({ line: 3, email: "noreply@example.cn" })]);

    const refused = await importRoute(apiRequest(key, csv, "text/csv", "?skip=typo,spam"), { params: Promise.resolve({ id: pool.id }) });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain("skip");
  });

  it("answers a header without an email column with the line and what it found", async () => {
    const pool = await createPool(ctx, { name: unique("noheader") });
    const response = await importRoute(apiRequest(key, "address,name\nx@example.com,X\n"), { params: Promise.resolve({ id: pool.id }) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe('Line 1: the header row has no "email" column (found: address, name)');
  });

  it("runs a console import in the background, keeps its counts and serves the error report", async () => {
    const pool = await createPool(ctx, { name: unique("upload") });
    const upload = await storeUpload(ctx, pool.id, "contacts.csv", streamOf(BOM, NASTY));
    expect(upload).toMatchObject({ format: "csv", encoding: "utf-8", delimiter: ",", hasHeader: true });
    expect(upload.mapping).toEqual({ emailColumn: 0, nameColumn: 1, attributeColumns: [{ index: 2, key: "city" }, { index: 3, key: "note" }] });
    await startImport(ctx, upload.id, { mapping: upload.mapping!, hasHeader: true, updateExisting: false });
    let progress = await importProgress(ctx, upload.id);
    for (let attempt = 0; progress.status === "running" && attempt < 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      progress = await importProgress(ctx, upload.id);
    }
    expect(progress).toMatchObject({ status: "completed", imported: 4, duplicates: 2, invalid: 4, rowsRead: 10 });
    const errors = [];
    for await (const row of await importErrorLines(ctx, upload.id)) errors.push(row);
    // Stored as reasons, worded by the reader (tests/db/import-reasons.test.ts); the API's English is the same reasons worded.
    expect(errors.map(({ line, reason }) => ({ line, reason }))).toEqual([
      { line: 7, reason: "addressMissingAt" },
      { line: 9, reason: "addressManyAt" },
      { line: 13, reason: "importNoAddress" },
      { line: 14, reason: "addressDomainNoDot" },
    ]);
    expect(errors[0]!.value).toBe("not-an-address");
  });

  it("imports the first sheet of an XLSX workbook", async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("客户");
    sheet.addRow(["邮箱", "姓名", "注册日期", "积分"]);
    sheet.addRow(["li@example.com", "李娜", new Date(Date.UTC(2026, 0, 5)), 120]);
    sheet.addRow(["not valid", "坏", null, 1]);
    sheet.addRow(["LI@example.com", "again", null, null]);
    const bytes = new Uint8Array(await workbook.xlsx.writeBuffer());
    const pool = await createPool(ctx, { name: unique("xlsx") });
    const upload = await storeUpload(ctx, pool.id, "客户.xlsx", streamOf(bytes));
    expect(upload).toMatchObject({ format: "xlsx", hasHeader: true, mapping: { emailColumn: 0, nameColumn: 1 } });
    await startImport(ctx, upload.id, { mapping: upload.mapping!, hasHeader: true, updateExisting: false });
    let progress = await importProgress(ctx, upload.id);
    for (let attempt = 0; progress.status === "running" && attempt < 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      progress = await importProgress(ctx, upload.id);
    }
    expect(progress).toMatchObject({ status: "completed", imported: 1, duplicates: 1, invalid: 1 });
    const page = await listContacts(ctx, { poolId: pool.id });
    expect(page.contacts[0]).toMatchObject({ email: "li@example.com", name: "李娜", attributes: { 注册日期: "2026-01-05", 积分: "120" } });
  });

  it("finds contacts by address, name or attribute before and after the search indexer ran", async () => {
    const pool = await createPool(ctx, { name: unique("search") });
    await importTable(ctx, pool.id, streamOf("email,name,city\nmei@example.cn,韩梅梅,Nanjing\nlei@example.cn,李雷,Xiamen\n"));
    const find = async (q: string) => (await listContacts(ctx, { poolId: pool.id }, { q })).contacts.map((contact) => contact.email);
    expect(await find("nanjing")).toEqual(["mei@example.cn"]);
    expect(await indexPendingContacts(db())).toBeGreaterThanOrEqual(2);
    expect(await find("韩梅")).toEqual(["mei@example.cn"]);
    expect(await find("XIAMEN")).toEqual(["lei@example.cn"]);
    expect(await find("example.cn")).toEqual(["lei@example.cn", "mei@example.cn"]);
    expect(await find("city")).toEqual([]);
    await importTable(ctx, pool.id, streamOf("email,name,city\nlei@example.cn,李雷,Shenzhen\n"), { updateExisting: true });
    expect(await find("shenzhen")).toEqual(["lei@example.cn"]);
    await indexPendingContacts(db());
    expect(await find("shenzhen")).toEqual(["lei@example.cn"]);
    expect(await find("xiamen")).toEqual([]);
  });

  it("updates existing contacts only when asked", async () => {
    const pool = await createPool(ctx, { name: unique("update") });
    await importTable(ctx, pool.id, streamOf("email,name,city\nu@example.com,Old,Beijing\n"));
    const kept = await importTable(ctx, pool.id, streamOf("email,name,city\nu@example.com,New,Tianjin\n"));
    expect(kept).toMatchObject({ imported: 0, duplicates: 1, updated: 0 });
    const updated = await importTable(ctx, pool.id, streamOf("email,name,city\nu@example.com,New,Tianjin\n"), { updateExisting: true });
    expect(updated).toMatchObject({ imported: 0, duplicates: 1, updated: 1 });
    const [contact] = await db().select().from(contacts).where(eq(contacts.email, "u@example.com"));
    expect(contact).toMatchObject({ name: "New", attributes: { city: "Tianjin" } });
  });

  it("marks suppressed addresses in pool views and lifts a suppression only with a reason", async () => {
    const pool = await createPool(ctx, { name: unique("suppressed") });
    await importTable(ctx, pool.id, streamOf("email\nquiet@example.com\nloud@example.com\n"));
    const added = await addSuppressions(ctx, { addresses: "QUIET@example.com\nnot an address", reason: "manual", note: "asked by phone" });
    expect(added).toMatchObject({ added: 1, invalid: [{ value: "not an address", reason: "addressMissingAt" }] });
    const page = await listContacts(ctx, { poolId: pool.id });
    expect(Object.fromEntries(page.contacts.map((contact) => [contact.email, contact.suppressedReason]))).toEqual({
      "quiet@example.com": "manual",
      "loud@example.com": null,
    });
    const refused = await rejection(removeSuppression(ctx, { departmentId: department.id, email: "quiet@example.com", reason: "" }), AppError);
    expect(refused.code).toBe("invalid_input");
    expect(await removeSuppression(ctx, { departmentId: department.id, email: "quiet@example.com", reason: "customer asked again" })).toEqual({ removed: true });
  });

  it("exports a pool as CSV that a spreadsheet will not run as formulas", async () => {
    const pool = await createPool(ctx, { name: unique("export") });
    await importTable(ctx, pool.id, streamOf('email,name,city\nf@example.com,"=HYPERLINK(""http://evil"")",@SUM(1)\n'));
    let csv = "";
    for await (const chunk of await exportContacts(ctx, { poolId: pool.id }, {})) csv += chunk;
    const lines = csv.trim().split("\r\n");
    expect(lines[0]).toBe("email,name,status,suppressed,created_at,city");
    expect(lines[1]).toMatch(/^f@example\.com,"'=HYPERLINK\(""http:\/\/evil""\)",active,,[^,]+,'@SUM\(1\)$/);
  });

  it("keeps the pool's count right through clear, copy and move, and counts Uncategorised", async () => {
    const first = await createPool(ctx, { name: unique("first") });
    const second = await createPool(ctx, { name: unique("second") });
    await importTable(ctx, first.id, streamOf("email\na1@example.com\na2@example.com\na3@example.com\n"));
    expect(await transferContacts(ctx, { fromPoolId: first.id, toPoolId: second.id, move: false })).toEqual({ added: 3 });
    expect(await clearPool(ctx, second.id)).toEqual({ removed: 3 });
    expect(await transferContacts(ctx, { fromPoolId: first.id, toPoolId: second.id, move: true })).toEqual({ added: 3 });
    const counts = await db().select({ id: pools.id, count: pools.contactCount }).from(pools).where(sql`${pools.id} in (${first.id}, ${second.id})`);
    expect(Object.fromEntries(counts.map((row) => [row.id, row.count]))).toEqual({ [first.id]: 0, [second.id]: 3 });
    await clearPool(ctx, second.id);
    const orphans = await uncategorisedCounts(ctx);
    expect(orphans.find((row) => row.departmentId === department.id)!.count).toBeGreaterThanOrEqual(3);
  });

  it("keeps a double opt-in subscriber pending until the signed link is used; forged links change nothing", async () => {
    const pool = await createPool(ctx, { name: unique("newsletter") });
    expect(await subscribe(ctx, { poolId: pool.id, email: "Reader@Example.com", doubleOptIn: true })).toEqual({ status: "pending" });
    const [pending] = await db().select().from(contacts).where(eq(contacts.email, "reader@example.com"));
    expect(pending!.status).toBe("pending");
    const [message] = await db().select().from(outboxMessages).where(eq(outboxMessages.toAddress, "reader@example.com"));
    const parsed = await simpleParser(message!.mime);
    const link = new URL(/https?:\/\/\S+/.exec(parsed.text ?? "")![0]);
    expect(link.pathname).toBe("/u/confirm");
    const token = link.searchParams.get("token")!;
    const forged = `${token.slice(0, -3)}${token.endsWith("AAA") ? "BBB" : "AAA"}`;
    expect(await confirmSubscription(db(), forged)).toBeNull();
    expect(await confirmSubscription(db(), "e30.bm90LWEtc2lnbmF0dXJl")).toBeNull();
    expect((await db().select().from(contacts).where(eq(contacts.id, pending!.id)))[0]!.status).toBe("pending");
    expect(await confirmSubscription(db(), token)).toEqual({ status: "confirmed", email: "reader@example.com" });
    expect((await db().select().from(contacts).where(eq(contacts.id, pending!.id)))[0]!.status).toBe("active");
    expect(await subscribe(ctx, { poolId: pool.id, email: "direct@example.com" })).toEqual({ status: "subscribed" });
    expect(await unsubscribe(ctx, { email: "direct@example.com" })).toEqual({ status: "unsubscribed" });
    expect((await db().select().from(contacts).where(eq(contacts.email, "direct@example.com")))[0]!.status).toBe("unsubscribed");
  });

  /** The confirmation links the outbox holds for an address, oldest first. */
  async function confirmationLinks(email: string): Promise<string[]> {
    const messages = await db().select().from(outboxMessages).where(eq(outboxMessages.toAddress, email)).orderBy(outboxMessages.createdAt);
    return Promise.all(messages.map(async (message) => new URL(/https?:\/\/\S+/.exec((await simpleParser(message.mime)).text ?? "")![0]).searchParams.get("token")!));
  }
  const statusOf = async (email: string) => (await db().select({ status: contacts.status }).from(contacts).where(and(eq(contacts.departmentId, department.id), eq(contacts.email, email))))[0]?.status;

  it("accepts a confirmation link once, while the subscriber is pending: used again after an unsubscribe it changes nothing", async () => {
    const pool = await createPool(ctx, { name: unique("once") });
    const email = `${unique("once")}@example.com`;
    await subscribe(ctx, { poolId: pool.id, email, doubleOptIn: true });
    const [token] = await confirmationLinks(email);
    expect(await confirmSubscription(db(), token!)).toEqual({ status: "confirmed", email });
    expect(await confirmSubscription(db(), token!)).toEqual({ status: "used" });
    await unsubscribe(ctx, { email });
    expect(await statusOf(email)).toBe("unsubscribed");
    expect(await confirmSubscription(db(), token!)).toEqual({ status: "used" });
    expect(await statusOf(email)).toBe("unsubscribed");
    const [suppressed] = await db().select().from(suppressions).where(and(eq(suppressions.departmentId, department.id), eq(suppressions.email, email)));
    expect(suppressed?.reason).toBe("unsubscribed");
    const confirmations = await db().select({ id: auditLog.id }).from(auditLog).where(and(eq(auditLog.action, "pool.subscribe_confirm"), eq(auditLog.departmentId, department.id), sql`${auditLog.summary} like ${`${email}%`}`));
    expect(confirmations).toHaveLength(1);
  });

  it("sends no confirmation to a suppressed address, one per address in ten minutes, and refuses past the department's hourly limit", async () => {
    const pool = await createPool(ctx, { name: unique("optin") });
    const gone = `${unique("gone")}@example.com`;
    await addSuppressions(ctx, { addresses: gone, reason: "complaint" });
    expect(await subscribe(ctx, { poolId: pool.id, email: gone, doubleOptIn: true })).toEqual({ status: "pending" });
    expect(await confirmationLinks(gone)).toEqual([]);

    const eager = `${unique("eager")}@example.com`;
    expect(await subscribe(ctx, { poolId: pool.id, email: eager, doubleOptIn: true })).toEqual({ status: "pending" });
    expect(await subscribe(ctx, { poolId: pool.id, email: eager, doubleOptIn: true })).toEqual({ status: "pending" });
    const links = await confirmationLinks(eager);
    expect(links).toHaveLength(1);
    expect(await confirmSubscription(db(), links[0]!)).toEqual({ status: "confirmed", email: eager });

    // The rest of the hour's allowance went to other sign-ups (counted rows, as other instances would have written them).
    const [{ sent }] = (await queryRows<{ sent: number }>(db(), sql`select count(*)::int as sent from auxiliary_mail where department_id = ${department.id} and kind = 'subscribe_confirmation'`)) as [{ sent: number }];
    const rest = AUXILIARY_MAIL_LIMITS.confirmationsPerDepartmentPerHour - sent;
    await db().insert(auxiliaryMail).values(Array.from({ length: rest }, (_, index) => ({ kind: "subscribe_confirmation" as const, departmentId: department.id, email: `earlier-${index}@example.com` })));
    const late = `${unique("late")}@example.com`;
    const refused = await rejection(subscribe(ctx, { poolId: pool.id, email: late, doubleOptIn: true }), AppError);
    expect(refused.code).toBe("rate_limited");
    expect((refused.details as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(3000);
    expect(await statusOf(late)).toBeUndefined();
    expect(await confirmationLinks(late)).toEqual([]);
    const overHttp = await subscribeRoute(
      new Request("http://fanout.test/api/v1/subscribe", {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ poolId: pool.id, email: late, doubleOptIn: true }),
      }),
      { params: Promise.resolve({}) },
    );
    expect(overHttp.status).toBe(429);
    expect(Number(overHttp.headers.get("retry-after"))).toBeGreaterThan(3000);
    expect(((await overHttp.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    // A sign-up without double opt-in sends nothing, so the limit does not hold it up.
    expect(await subscribe(ctx, { poolId: pool.id, email: late })).toEqual({ status: "subscribed" });
  });

  describe("another department's pool", () => {
    let theirs: { id: string };
    let theirImport: string;
    let intruder: Actor;

    beforeAll(async () => {
      const other = await makeDepartment(db());
      const system = { db: db(), actor: systemActor("test") };
      theirs = await createPool(system, { name: unique("theirs"), departmentId: other.id });
      theirImport = (await storeUpload(system, theirs.id, "t.csv", streamOf("email\nt@example.com\n"))).id;
      intruder = ctx.actor;
    });

    it("cannot be seen, exported, imported into or have its import read", async () => {
      const intruderCtx = { db: db(), actor: intruder };
      const attempts: [string, () => Promise<unknown>][] = [
        ["list", () => listContacts(intruderCtx, { poolId: theirs.id })],
        ["export", () => exportContacts(intruderCtx, { poolId: theirs.id }, {})],
        ["import", () => importTable(intruderCtx, theirs.id, streamOf("email\nx@example.com\n"))],
        ["upload", () => storeUpload(intruderCtx, theirs.id, "x.csv", streamOf("email\nx@example.com\n"))],
        ["progress", () => importProgress(intruderCtx, theirImport)],
        ["errors", () => importErrorLines(intruderCtx, theirImport)],
        ["clear", () => clearPool(intruderCtx, theirs.id)],
      ];
      for (const [name, attempt] of attempts) expect((await rejection(attempt(), AppError)).code, name).toBe("forbidden");
      const api = await contactsRoute(new Request(`http://fanout.test/api/v1/pools/${theirs.id}/contacts`, { headers: { authorization: `Bearer ${key}` } }), {
        params: Promise.resolve({ id: theirs.id }),
      });
      expect(api.status).toBe(403);
      const [job] = await db().select({ status: imports.status }).from(imports).where(eq(imports.id, theirImport));
      expect(job!.status).toBe("uploaded");
    });

    it("is refused by the console's download and progress routes for a signed-in user of another department", async () => {
      const token = await encodeSessionToken({ uid: user.id, sv: 1 });
      const headers = { cookie: `next-auth.session-token=${token}` };
      const calls: [string, Promise<Response>][] = [
        ["export", exportRoute(new Request(`http://fanout.test/pools/${theirs.id}/export`, { headers }), { params: Promise.resolve({ id: theirs.id }) })],
        ["progress", progressRoute(new Request(`http://fanout.test/imports/${theirImport}`, { headers }), { params: Promise.resolve({ id: theirImport }) })],
        ["errors", errorsRoute(new Request(`http://fanout.test/imports/${theirImport}/errors`, { headers }), { params: Promise.resolve({ id: theirImport }) })],
      ];
      for (const [name, call] of calls) expect((await call).status, name).toBe(403);
      const own = await createPool(ctx, { name: unique("mine") });
      const allowed = await exportRoute(new Request(`http://fanout.test/pools/${own.id}/export`, { headers }), { params: Promise.resolve({ id: own.id }) });
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    });
  });
});
