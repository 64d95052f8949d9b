/**
 * Uploads and attachments in an S3-compatible bucket (FANOUT_S3_BUCKET; s3rver on loopback): a
 * template attachment is stored there and read back for sending, a console import streams its file
 * there, reads it back to import, and removes it when done, the sweep finds abandoned uploads by
 * listing the bucket — and FANOUT_DATA_DIR is never created.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { imports } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { listContacts } from "@/lib/pools/contacts";
import { startImport, storeUpload } from "@/lib/pools/import-jobs";
import { sweepUploads, UPLOAD_KEPT_MS } from "@/lib/pools/import-sweep";
import { importProgress } from "@/lib/pools/import-report";
import { createPool } from "@/lib/pools/pools";
import { objectStore, readAll } from "@/lib/storage";
import { loadAttachments, storeAttachment } from "@/lib/templates/attachments";
import { streamOf } from "../helpers/bytes";
import { describeOnDatabases } from "../helpers/db";
import { startFakeS3, type FakeS3 } from "../helpers/fake-s3";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";

vi.mock("next/headers", () => ({
  cookies: async () => ({ get: () => undefined }),
  headers: async () => new Headers({ "x-fanout-peer": "198.51.100.7" }),
}));

let fake: FakeS3;
const dataDir = path.join(os.tmpdir(), `fanout-never-created-${randomUUID()}`);
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  fake = await startFakeS3();
  // Secrets from the environment too, so nothing at all has a reason to write to the data folder.
  const env = { ...fake.env, FANOUT_DATA_DIR: dataDir, AUTH_SECRET: "bucket test auth", FANOUT_TOKEN_SECRET: "bucket test token" };
  for (const [name, value] of Object.entries(env)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
});

afterAll(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await fake?.close();
});

describeOnDatabases("uploads and attachments in a bucket", (db) => {
  let ctx: Ctx;
  beforeAll(async () => {
    const department = await makeDepartment(db());
    const user = await makeUser(db(), "department", { departmentId: department.id });
    ctx = { db: db(), actor: actorFor(user, "department", department.id) };
  });

  it("keeps a template attachment in the bucket and reads it back for sending", async () => {
    expect(objectStore().kind).toBe("s3");
    const pdf = Buffer.concat([Buffer.from("%PDF-1.7\n"), Buffer.alloc(300_000, 7)]);
    const attachment = await storeAttachment(ctx, ctx.actor.departmentId!, "价目表.pdf", pdf);
    expect(await objectStore().list("attachments/")).toContain(`attachments/${attachment.id}`);
    const [loaded] = await loadAttachments(db(), ctx.actor.departmentId!, [attachment.id]);
    expect(loaded!.content.equals(pdf)).toBe(true);
  });

  it("streams a console import's file to the bucket, imports from it, and removes it when done", async () => {
    const pool = await createPool(ctx, { name: unique("bucket") });
    const rows = Array.from({ length: 2_000 }, (_, i) => `reader${i}@example.com,读者 ${i}`);
    const upload = await storeUpload(ctx, pool.id, "readers.csv", streamOf(`email,name\n${rows.join("\n")}\n`));
    const key = `imports/${upload.id}`;
    expect((await readAll(await objectStore().get(key))).toString("utf8")).toContain("reader1999@example.com,读者 1999");
    await startImport(ctx, upload.id, { mapping: upload.mapping!, hasHeader: true, updateExisting: false });
    let progress = await importProgress(ctx, upload.id);
    for (let attempt = 0; progress.status === "running" && attempt < 400; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      progress = await importProgress(ctx, upload.id);
    }
    expect(progress).toMatchObject({ status: "completed", imported: 2_000 });
    expect((await listContacts(ctx, { poolId: pool.id }, { limit: 5 })).contacts).toHaveLength(5);
    // The upload is removed just after the job is marked completed, so wait for it (bounded).
    let stored = await objectStore().list("imports/");
    for (let attempt = 0; stored.includes(key) && attempt < 100; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      stored = await objectStore().list("imports/");
    }
    expect(stored).not.toContain(key);
  });

  it("sweeps an abandoned upload and an orphan from the bucket, keeping a fresh one", async () => {
    const pool = await createPool(ctx, { name: unique("sweep") });
    const stale = await storeUpload(ctx, pool.id, "stale.csv", streamOf("email\nold@example.com\n"));
    const fresh = await storeUpload(ctx, pool.id, "fresh.csv", streamOf("email\nnew@example.com\n"));
    await db().update(imports).set({ createdAt: new Date(Date.now() - UPLOAD_KEPT_MS - 60_000) }).where(eq(imports.id, stale.id));
    const orphan = `imports/${randomUUID()}`;
    await objectStore().put(orphan, Buffer.from("email\n"));
    expect(await sweepUploads(db())).toMatchObject({ expired: 1 });
    const left = await objectStore().list("imports/");
    expect(left).toContain(`imports/${fresh.id}`);
    expect(left).not.toContain(`imports/${stale.id}`);
    expect(left).not.toContain(orphan);
  });

  it("never created the data folder", () => {
    const written = fs.existsSync(dataDir) ? fs.readdirSync(dataDir, { recursive: true, encoding: "utf8" }) : [];
    expect(written, "files written under FANOUT_DATA_DIR").toEqual([]);
    expect(fs.existsSync(dataDir)).toBe(false);
  });
});
