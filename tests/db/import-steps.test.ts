/**
 * An import as a chain of time-bounded steps (issue 22): with an import driver installed (Inngest,
 * at boot), starting an import hands it over instead of running it in the request's process; the
 * `import-file` function (run here with @inngest/test) reads the stored file a step at a time, each
 * committing what it read, and ends with every row imported once. A step that stops resumes after
 * the last line recorded, so a retried or next step never imports a line twice.
 */
import { InngestTestEngine } from "@inngest/test";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { imports, poolMembers } from "@/db/schema";
import { importFileFunction } from "@/inngest/functions/import-file";
import { IMPORT_STARTED } from "@/inngest/events";
import type { Ctx } from "@/lib/access/context";
import { setImportDriver } from "@/lib/dispatch/import-runs";
import { COPY_BATCH_SIZE, IMPORT_BATCH_SIZE } from "@/lib/pools/import";
import { runImport, startImport, storeUpload } from "@/lib/pools/import-jobs";
import { importProgress } from "@/lib/pools/import-report";
import { createPool } from "@/lib/pools/pools";
import { objectStore } from "@/lib/storage";
import { streamOf } from "../helpers/bytes";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";

vi.mock("next/headers", () => ({
  cookies: async () => ({ get: () => undefined }),
  headers: async () => new Headers({ "x-fanout-peer": "198.51.100.7" }),
}));

describeOnDatabases("imports in steps", (db, target) => {
  let ctx: Ctx;
  const handedOff: string[] = [];
  // Each step reads one batch: the smallest step there is.
  const rows = (target === "postgres" ? COPY_BATCH_SIZE : IMPORT_BATCH_SIZE) * 2 + 123;
  const csv = () => streamOf(`email,name\n${Array.from({ length: rows }, (_, i) => `step${i}@example.com,Step ${i}`).join("\n")}\n`);

  beforeAll(async () => {
    const department = await makeDepartment(db());
    const user = await makeUser(db(), "department", { departmentId: department.id });
    ctx = { db: db(), actor: actorFor(user, "department", department.id) };
    setImportDriver({ importStarted: async (id) => void handedOff.push(id) });
  });
  afterAll(() => setImportDriver(undefined));

  async function started() {
    const pool = await createPool(ctx, { name: unique("steps") });
    const upload = await storeUpload(ctx, pool.id, "steps.csv", csv());
    await startImport(ctx, upload.id, { mapping: upload.mapping!, hasHeader: true, updateExisting: false });
    return { pool, upload };
  }

  it("hands a started import to the driver and does not run it in the starting process", async () => {
    const { upload } = await started();
    expect(handedOff).toContain(upload.id);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await importProgress(ctx, upload.id)).toMatchObject({ status: "running", rowsRead: 0 });
  });

  it("imports the whole file in one-batch steps, every row once, and removes the upload", async () => {
    const { pool, upload } = await started();
    const fn = importFileFunction(async () => db(), 0);
    const engine = new InngestTestEngine({ function: fn, events: [{ name: IMPORT_STARTED, data: { importId: upload.id } }] });
    const output = await engine.execute();
    expect(output.error).toBeUndefined();
    expect(output.result).toEqual({ importId: upload.id, outcome: "done", steps: 3 });
    expect(await importProgress(ctx, upload.id)).toMatchObject({ status: "completed", imported: rows, rowsRead: rows, duplicates: 0, invalid: 0 });
    expect(await db().$count(poolMembers, eq(poolMembers.poolId, pool.id))).toBe(rows);
    expect(await objectStore().list("imports/")).not.toContain(`imports/${upload.id}`);
  }, 120_000);

  it("a stopped run lets go at once and the next resumes after the last line recorded", async () => {
    const { pool, upload } = await started();
    expect(await runImport(db(), upload.id, { budgetMs: 0 })).toBe("more");
    const [halfway] = await db().select().from(imports).where(eq(imports.id, upload.id));
    expect(halfway).toMatchObject({ status: "running", heartbeatAt: null });
    expect(halfway!.rowsRead).toBeGreaterThan(0);
    expect(halfway!.resumeAfterLine).toBe(halfway!.rowsRead + 1);
    // The same step delivered twice (a retry after its result was lost) only continues.
    expect(await runImport(db(), upload.id)).toBe("done");
    expect(await runImport(db(), upload.id)).toBe("not-mine");
    expect(await importProgress(ctx, upload.id)).toMatchObject({ status: "completed", imported: rows, duplicates: 0 });
    expect(await db().$count(poolMembers, eq(poolMembers.poolId, pool.id))).toBe(rows);
  }, 120_000);
});
