/**
 * A console import's refusals are stored as reasons and worded for whoever reads them: the error
 * report and the progress of a failed import in the reader's language, the API in English; and
 * the upload says when no column of the file holds addresses, before anything is imported.
 */
import { eq } from "drizzle-orm";
import { beforeAll, beforeEach, expect, it, vi } from "vitest";
import { importErrors, imports } from "@/db/schema";
import { GET as progressRoute } from "@/app/(console)/imports/[id]/route";
import { GET as errorsRoute } from "@/app/(console)/imports/[id]/errors/route";
import { encodeSessionToken } from "@/lib/auth/session";
import type { Ctx } from "@/lib/access/context";
import { LOCALE_COOKIE } from "@/lib/i18n";
import { importTable } from "@/lib/pools/import-csv";
import { startImport, storeUpload } from "@/lib/pools/import-jobs";
import { importProgress } from "@/lib/pools/import-report";
import { createPool } from "@/lib/pools/pools";
import { describeOnDatabases } from "../helpers/db";
import { streamOf } from "../helpers/bytes";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";

/** The reader's language as the console reads it: the locale cookie of the request being served. */
const reader = vi.hoisted(() => ({ locale: undefined as string | undefined }));
vi.mock("next/headers", () => ({
  cookies: async () => ({ get: (name: string) => (name === "fanout-locale" && reader.locale ? { name, value: reader.locale } : undefined) }),
  headers: async () => new Headers({ "x-fanout-peer": "198.51.100.7" }),
}));

const BAD_ROWS = [
  "email,name",
  "ok@example.com,Fine", //            2
  "not-an-address,Nobody", //          3 missing @
  "dave@@example.com,Dave", //         4 more than one @
  ",No email", //                      5 no address
  "frank@example,Frank", //            6 no dot in the domain
].join("\n");

const ENGLISH_REASONS = ["missing @", "more than one @", "no address in the address column", "the domain has no dot (expected something like example.com)"];
const CHINESE_REASONS = ["缺少 @", "有不止一个 @", "地址列中没有地址", "域名中没有点（应类似 example.com）"];

describeOnDatabases("import refusals in the reader's language", (db) => {
  let ctx: Ctx;
  let cookie: string;

  beforeAll(async () => {
    const department = await makeDepartment(db());
    const user = await makeUser(db(), "department", { departmentId: department.id });
    ctx = { db: db(), actor: actorFor(user, "department", department.id) };
    cookie = `next-auth.session-token=${await encodeSessionToken({ uid: user.id, sv: 1 })}`;
  });

  beforeEach(() => {
    reader.locale = undefined;
  });

  async function finishedImport(name: string, csv: string) {
    const pool = await createPool(ctx, { name: unique(name) });
    const upload = await storeUpload(ctx, pool.id, `${name}.csv`, streamOf(csv));
    await startImport(ctx, upload.id, { mapping: upload.mapping!, hasHeader: true, updateExisting: false });
    let progress = await importProgress(ctx, upload.id);
    for (let attempt = 0; progress.status === "running" && attempt < 400; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      progress = await importProgress(ctx, upload.id);
    }
    return { id: upload.id, progress, pool };
  }

  async function download(id: string, locale: string) {
    reader.locale = locale;
    const response = await errorsRoute(new Request(`http://fanout.test/imports/${id}/errors`, { headers: { cookie: `${cookie}; ${LOCALE_COOKIE}=${locale}` } }), {
      params: Promise.resolve({ id }),
    });
    expect(response.status).toBe(200);
    const text = (await response.text()).replace(/^\ufeff/, "").trim();
    return text.split("\r\n").map((line) => line.split(","));
  }

  async function progressIn(id: string, locale: string) {
    reader.locale = locale;
    const response = await progressRoute(new Request(`http://fanout.test/imports/${id}`, { headers: { cookie } }), { params: Promise.resolve({ id }) });
    expect(response.status).toBe(200);
    return (await response.json()) as { status: string; error: string | null };
  }

  it("words the error report in Chinese for a zh-CN reader and in English for an English one, from the same stored rows", async () => {
    const { id, progress } = await finishedImport("bad-rows", BAD_ROWS);
    expect(progress).toMatchObject({ status: "completed", imported: 1, invalid: 4 });
    const stored = await db().select({ reason: importErrors.reason, params: importErrors.params }).from(importErrors).where(eq(importErrors.importId, id)).orderBy(importErrors.line);
    expect(stored.map((row) => row.reason)).toEqual(["addressMissingAt", "addressManyAt", "importNoAddress", "addressDomainNoDot"]);

    const chinese = await download(id, "zh-CN");
    expect(chinese[0]).toEqual(["行号", "原因", "内容"]);
    expect(chinese.slice(1).map((row) => row[1])).toEqual(CHINESE_REASONS);
    expect(chinese.slice(1).map((row) => [row[0], row[2]])).toEqual([["3", "not-an-address"], ["4", "dave@@example.com"], ["5", ""], ["6", "frank@example"]]);
    const whole = chinese.map((row) => row.join(",")).join("\n");
    for (const english of ["line", "reason", ...ENGLISH_REASONS]) expect(whole).not.toContain(english);

    const english = await download(id, "en");
    expect(english[0]).toEqual(["line", "reason", "value"]);
    expect(english.slice(1).map((row) => row[1])).toEqual(ENGLISH_REASONS);
  });

  it("keeps English for API callers of the synchronous import", async () => {
    const pool = await createPool(ctx, { name: unique("api") });
    reader.locale = "zh-CN";
    const report = await importTable(ctx, pool.id, streamOf(BAD_ROWS));
    expect(report.invalid).toEqual(ENGLISH_REASONS.map((reason, index) => ({ line: index + 3, reason })));
  });

  it("shows a row stored before reasons were keys as it was written", async () => {
    const { id } = await finishedImport("old-rows", "email\nnope\n");
    await db().update(importErrors).set({ reason: "an old English reason" }).where(eq(importErrors.importId, id));
    expect((await download(id, "zh-CN"))[1]).toEqual(["2", "an old English reason", "nope"]);
  });

  it("words a failed import's reason in the viewer's language", async () => {
    // The first rows preview fine; the quote left open at the end stops the import itself.
    const rows = Array.from({ length: 20 }, (_, index) => `p${index}@example.com`);
    const { id, progress } = await finishedImport("broken", `email\n${rows.join("\n")}\n"open@example.com\n`);
    expect(progress.status).toBe("failed");
    const [job] = await db().select({ error: imports.error, errorParams: imports.errorParams }).from(imports).where(eq(imports.id, id));
    expect(job).toEqual({ error: "tableQuoteOpen", errorParams: { line: 22 } });
    expect((await progressIn(id, "zh-CN")).error).toBe("第 22 行：某个带引号的字段没有闭合（缺少一个引号）。");
    expect((await progressIn(id, "en")).error).toBe("Line 22: a quoted field is never closed (a quote character is missing)");
    await db().update(imports).set({ error: "The import stopped on an old English error", errorParams: null }).where(eq(imports.id, id));
    expect((await progressIn(id, "zh-CN")).error).toBe("The import stopped on an old English error");
  });

  it("says at upload which columns hold addresses, so the mapping step can warn before a file without any", async () => {
    const pool = await createPool(ctx, { name: unique("warn") });
    const none = await storeUpload(ctx, pool.id, "phones.csv", streamOf("name,phone\n张三,13800000000\n李四,13900000000\n"));
    expect(none).toMatchObject({ hasAddressColumn: false, addressColumns: [] });
    const some = await storeUpload(ctx, pool.id, "mixed.csv", streamOf("id,contact,note\n1,zhang@example.com,x\n2,not an address,y\n"));
    expect(some).toMatchObject({ hasAddressColumn: true, addressColumns: [1] });
    // The column the mapping step would warn about: the first, chosen by mistake, holds none.
    expect(some.addressColumns.includes(0)).toBe(false);
  });
});
