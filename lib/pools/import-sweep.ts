import "server-only";
import { and, eq, inArray, lt } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { imports } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import { recordAudit } from "@/lib/audit/record";
import type { Reason } from "@/lib/i18n/reasons-en";
import { isUuid } from "@/lib/ids";
import { objectStore } from "@/lib/storage";
import { UPLOADS, uploadKey } from "./import-jobs";

/** An upload whose import is not started within this long is expired and its file removed. */
export const UPLOAD_KEPT_MS = 24 * 60 * 60_000;
const SWEEP_EVERY_MS = 60 * 60_000;

/**
 * Removes the stored uploads nobody will read again: those of finished or failed imports, those
 * of uploads not started within UPLOAD_KEPT_MS of `now` (the job is marked failed, saying why),
 * and files whose job is gone (its pool was deleted). Running and fresh uploads keep theirs.
 */
export async function sweepUploads(db: Executor, now = new Date()): Promise<{ expired: number; removed: number }> {
  const expired = await db
    .update(imports)
    .set({ status: "failed", error: "importUploadExpired" satisfies Reason, errorParams: {}, preview: [], finishedAt: now })
    .where(and(eq(imports.status, "uploaded"), lt(imports.createdAt, new Date(now.getTime() - UPLOAD_KEPT_MS))))
    .returning({ id: imports.id, departmentId: imports.departmentId, poolId: imports.poolId, fileName: imports.fileName });
  for (const job of expired) {
    await recordAudit(db, systemActor("upload sweep"), {
      action: "pool.import",
      objectType: "pool",
      objectId: job.poolId,
      departmentId: job.departmentId,
      summary: { key: "pool.importExpired", params: { file: job.fileName } },
      details: { importId: job.id },
    });
  }
  // The store is listed before the jobs are read: a job is created before its upload.
  const store = objectStore();
  const ids = (await store.list(UPLOADS)).map((key) => key.slice(UPLOADS.length)).filter(isUuid);
  const kept = new Set<string>();
  for (let start = 0; start < ids.length; start += 1_000) {
    const rows = await db
      .select({ id: imports.id })
      .from(imports)
      .where(and(inArray(imports.id, ids.slice(start, start + 1_000)), inArray(imports.status, ["uploaded", "running"])));
    for (const row of rows) kept.add(row.id);
  }
  let removed = 0;
  for (const id of ids) {
    if (kept.has(id)) continue;
    await store.delete(uploadKey(id));
    removed++;
  }
  return { expired: expired.length, removed };
}

/** Sweeps stored uploads now and then every hour, without keeping the process alive. */
export function startUploadSweeper(db: Executor, everyMs = SWEEP_EVERY_MS): () => void {
  const sweep = () => sweepUploads(db).catch((error) => console.error("[fanout] upload sweep", error));
  void sweep();
  const timer = setInterval(sweep, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
