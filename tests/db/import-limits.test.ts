import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { and, count, eq, sql } from "drizzle-orm";
import { beforeAll, expect, it, vi } from "vitest";
import { auditLog, importErrors, imports } from "@/db/schema";
import { POST as importRoute } from "@/app/api/v1/pools/[id]/import/route";
import { createApiKey } from "@/lib/accounts/api-keys";
import { readEnv } from "@/lib/config/env";
import type { Ctx } from "@/lib/access/context";
import { AppError } from "@/lib/errors";
import { importTable, REPORTED_INVALID_ROWS } from "@/lib/pools/import-csv";
import { startImport, STORED_ERROR_ROWS, storeUpload } from "@/lib/pools/import-jobs";
import { sweepUploads, UPLOAD_KEPT_MS } from "@/lib/pools/import-sweep";
import { importErrorLines, importProgress } from "@/lib/pools/import-report";
import { createPool } from "@/lib/pools/pools";
import { describeOnDatabases } from "../helpers/db";
import { streamOf } from "../helpers/bytes";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";
import { peakMemory } from "../helpers/memory";
import { rejection } from "../helpers/rejection";
import { workbookArchive } from "../helpers/xlsx-archive";

vi.mock("next/headers", () => import("../helpers/next-headers"));

const MiB = 1024 * 1024;

/** The header, then `lines` lines of "x" (no address), produced chunk by chunk as a client would send them. */
function invalidLines(lines: number): ReadableStream<Uint8Array> {
  const perChunk = 32 * 1024;
  let sent = -1;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent < 0) {
        controller.enqueue(new TextEncoder().encode("email\n"));
        sent = 0;
      } else if (sent < lines) {
        const n = Math.min(perChunk, lines - sent);
        controller.enqueue(new TextEncoder().encode("x\n".repeat(n)));
        sent += n;
      } else {
        controller.close();
      }
    },
  });
}

function apiRequest(key: string, body: ReadableStream<Uint8Array> | Uint8Array, type = "text/csv") {
  return new Request("http://fanout.test/api/v1/pools/x/import", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": type },
    body,
    duplex: "half",
  } as RequestInit);
}

/** A workbook whose shared strings inflate to 1 GiB from under 4 MiB. */
function sharedStringsBomb(): Uint8Array {
  return workbookArchive({
    sheetRows: [`<row r="1"><c r="A1" t="s"><v>0</v></c></row>`],
    sharedStrings: [{ repeat: `<si><t>${"a".repeat(1024 - 15)}</t></si>`.repeat(64), times: 16 * 1024 }],
  });
}
const BOMB_REFUSED = "The workbook's part xl/sharedStrings.xml unpacks to more than 64 MiB; save the sheet as CSV and import that";

async function finished(ctx: Ctx, id: string) {
  let progress = await importProgress(ctx, id);
  for (let attempt = 0; progress.status === "running" && attempt < 600; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    progress = await importProgress(ctx, id);
  }
  return progress;
}

describeOnDatabases("import limits", (db) => {
  let ctx: Ctx;
  let key: string;

  beforeAll(async () => {
    const department = await makeDepartment(db());
    const user = await makeUser(db(), "department", { departmentId: department.id });
    ctx = { db: db(), actor: actorFor(user, "department", department.id) };
    key = (await createApiKey(ctx, { name: "crm", scope: { company: false, departmentId: department.id } })).secret;
  });

  it("answers an API import of a million invalid lines with the first 1,000 and the count of all, in bounded memory", async () => {
    const pool = await createPool(ctx, { name: unique("invalid") });
    const lines = 1_000_000;
    const { outcome: report, liveMiB, heapMiB, rssMiB } = await peakMemory(async () => {
      const response = await importRoute(apiRequest(key, invalidLines(lines)), { params: Promise.resolve({ id: pool.id }) });
      expect(response.status).toBe(200);
      return response.json();
    });
    console.log(`API import of ${lines} invalid lines: live heap +${liveMiB.toFixed(1)} MiB (raw heap +${heapMiB.toFixed(0)}, rss +${rssMiB.toFixed(0)})`);
    expect(report).toMatchObject({ imported: 0, duplicates: 0, rows: lines, invalidCount: lines, invalidTruncated: true });
    expect(report.invalid).toHaveLength(REPORTED_INVALID_ROWS);
    expect(report.invalid[0]).toEqual({ line: 2, reason: "missing @" });
    expect(report.invalid.at(-1)).toEqual({ line: REPORTED_INVALID_ROWS + 1, reason: "missing @" });
    expect(liveMiB).toBeLessThan(16);
  });

  it("lists every invalid row when there are few, and says the list is complete", async () => {
    const pool = await createPool(ctx, { name: unique("few") });
    const report = await importTable(ctx, pool.id, streamOf("email\nok@example.com\nnope\n"));
    expect(report).toMatchObject({ imported: 1, invalid: [{ line: 3, reason: "missing @" }], invalidCount: 1, invalidTruncated: false });
  });

  it("stores the first 10,000 error rows of a console import and counts them all", async () => {
    const pool = await createPool(ctx, { name: unique("errors") });
    const invalid = STORED_ERROR_ROWS + 2_500;
    const upload = await storeUpload(ctx, pool.id, "errors.csv", streamOf(`email\n${"x\n".repeat(invalid)}last@example.com\n`));
    await startImport(ctx, upload.id, { mapping: upload.mapping!, hasHeader: true, updateExisting: false });
    expect(await finished(ctx, upload.id)).toMatchObject({ status: "completed", imported: 1, invalid });
    const [stored] = await db()
      .select({ rows: count(), first: sql<number>`min(${importErrors.line})`, last: sql<number>`max(${importErrors.line})` })
      .from(importErrors)
      .where(eq(importErrors.importId, upload.id));
    expect({ rows: Number(stored!.rows), first: Number(stored!.first), last: Number(stored!.last) }).toEqual({ rows: STORED_ERROR_ROWS, first: 2, last: STORED_ERROR_ROWS + 1 });
    const report = [];
    for await (const row of await importErrorLines(ctx, upload.id)) report.push(row);
    expect(report).toHaveLength(STORED_ERROR_ROWS + 1);
    expect(report.at(-1)).toEqual({ line: null, reason: "importRowsNotListed", params: { count: 2_500, max: STORED_ERROR_ROWS }, value: "" });
  });

  it("refuses a zip-bomb XLSX in the upload preview and in the import, naming the limit, in bounded memory", async () => {
    const pool = await createPool(ctx, { name: unique("bomb") });
    const bomb = sharedStringsBomb();
    const uploadsBefore = await db().$count(imports, eq(imports.poolId, pool.id));

    const preview = await peakMemory(() => rejection(storeUpload(ctx, pool.id, "list.xlsx", streamOf(bomb)), AppError));
    expect(preview.outcome).toMatchObject({ code: "invalid_input", message: BOMB_REFUSED });
    expect(await db().$count(imports, eq(imports.poolId, pool.id))).toBe(uploadsBefore);

    const api = await peakMemory(async () => {
      const response = await importRoute(apiRequest(key, bomb, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), { params: Promise.resolve({ id: pool.id }) });
      return { status: response.status, body: await response.json() };
    });
    expect(api.outcome).toEqual({ status: 400, body: { error: expect.objectContaining({ code: "invalid_input", message: BOMB_REFUSED }) } });

    console.log(
      `XLSX bomb (${(bomb.byteLength / MiB).toFixed(1)} MiB → 1 GiB): live heap at most +${Math.max(preview.liveMiB, api.liveMiB).toFixed(0)} MiB, raw heap +${Math.max(preview.heapMiB, api.heapMiB).toFixed(0)} MiB, rss +${Math.max(preview.rssMiB, api.rssMiB).toFixed(0)} MiB`,
    );
    for (const run of [preview, api]) expect(run.liveMiB).toBeLessThan(128);
  }, 180_000);

  it("sweeps uploads never started for a day, files of finished imports and orphans; keeps fresh and running ones", async () => {
    const pool = await createPool(ctx, { name: unique("sweep") });
    const csv = () => streamOf("email\nsweep@example.com\n");
    const stale = await storeUpload(ctx, pool.id, "stale.csv", csv());
    const fresh = await storeUpload(ctx, pool.id, "fresh.csv", csv());
    const running = await storeUpload(ctx, pool.id, "running.csv", csv());
    const done = await storeUpload(ctx, pool.id, "done.csv", csv());
    const dayAgo = new Date(Date.now() - UPLOAD_KEPT_MS - 60_000);
    await db().update(imports).set({ createdAt: dayAgo }).where(eq(imports.id, stale.id));
    // A job that has been running for a day (a large file) keeps its file; so does a fresh upload.
    await db().update(imports).set({ createdAt: dayAgo, status: "running", startedAt: dayAgo, heartbeatAt: new Date() }).where(eq(imports.id, running.id));
    await db().update(imports).set({ status: "completed", finishedAt: new Date() }).where(eq(imports.id, done.id));
    const file = (id: string) => path.join(readEnv().dataDir, "imports", id);
    const orphan = randomUUID();
    fs.writeFileSync(file(orphan), "email\n");

    const swept = await sweepUploads(db());
    expect(swept.expired).toBe(1);
    expect(fs.existsSync(file(stale.id))).toBe(false);
    expect(fs.existsSync(file(done.id))).toBe(false);
    expect(fs.existsSync(file(orphan))).toBe(false);
    expect(fs.existsSync(file(fresh.id))).toBe(true);
    expect(fs.existsSync(file(running.id))).toBe(true);
    expect(await importProgress(ctx, stale.id)).toMatchObject({ status: "failed", error: expect.stringMatching(/expired/) });
    await expect(startImport(ctx, stale.id, { mapping: stale.mapping!, hasHeader: true, updateExisting: false })).rejects.toThrow(/already started/);
    const audited = await db().$count(auditLog, and(eq(auditLog.objectId, pool.id), sql`${auditLog.summary} like '%"stale.csv" expired%'`));
    expect(audited).toBe(1);

    // With the clock a day on, the fresh upload expires too; the running import still keeps its file.
    expect(await sweepUploads(db(), new Date(Date.now() + UPLOAD_KEPT_MS + 60_000))).toMatchObject({ expired: 1 });
    expect(fs.existsSync(file(fresh.id))).toBe(false);
    expect(fs.existsSync(file(running.id))).toBe(true);
  });
});
