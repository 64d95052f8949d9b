import "server-only";
import { Readable } from "node:stream";
import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { importErrors, imports, pools, type ImportHygieneOptions, type ImportJob, type ImportMapping } from "@/db/schema";
import type { Actor } from "@/lib/access/actor";
import { authorize } from "@/lib/access/policy";
import { recordAudit, updateAudited } from "@/lib/audit/record";
import type { Ctx } from "@/lib/access/context";
import { AppError, conflict, invalidInput, notFound } from "@/lib/errors";
import type { Reason, ReasonParams } from "@/lib/i18n/reasons-en";
import { readAddressCell } from "./address-cell";
import { importRows, refreshStatistics } from "./import";
import { checkImportMx, queueMxCheck, resumeMxChecks } from "./hygiene/mx-job";
import { emptyTally, mergeTally, readTally } from "./hygiene/tally";
import { checkedMapping } from "./import-tags";
import { consentList } from "./contact-channels";
import { readPhoneRegion } from "@/lib/accounts/settings";
import { suggestMapping } from "./mapping";
import { openTable, TableFormatError, type ParsedRow, type SourceFormat, type TableSource } from "./parse";
import { loadPool } from "./pools";
import { toByteChunks } from "./parse/decode";
import { isUuid } from "@/lib/ids";
import { handOffImport } from "@/lib/dispatch/import-runs";
import { objectStore } from "@/lib/storage";

export const MAX_IMPORT_BYTES = 1024 * 1024 * 1024;
const PREVIEW_ROWS = 6;
const STALE_AFTER_MS = 60_000;
/** Error rows kept per console import for its report; the job's `invalid` counts them all. */
export const STORED_ERROR_ROWS = 10_000;

export const UPLOADS = "imports/";

/** Where an upload's bytes are kept in the object store (lib/storage) until its import is done. */
export function uploadKey(id: string) {
  return `${UPLOADS}${id}`;
}

/** Counts bytes as they pass and stops an upload that is larger than allowed. */
async function* limited(body: AsyncIterable<Uint8Array>, max: number) {
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > max) throw new AppError("payload_too_large", "fileTooLarge", { params: { max: Math.round(max / 1024 / 1024) } });
    yield chunk;
  }
}

/**
 * Opens a stored upload. Encoding and delimiter are detected again (the same bytes give the
 * same answer), so a file that is ASCII at first and GB18030 later is still read right.
 */
async function openStored(job: Pick<ImportJob, "id" | "format" | "fileName">): Promise<TableSource> {
  return openTable(await objectStore().get(uploadKey(job.id)), { format: job.format as SourceFormat, filename: job.fileName });
}

/**
 * Step one of a console import: the file is streamed to the object store, its format,
 * encoding and delimiter detected, and its first rows kept for the mapping step.
 */
export async function storeUpload(ctx: Ctx, poolId: string, fileName: string, body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>) {
  const pool = await loadPool(ctx, poolId);
  const [job] = await ctx.db
    .insert(imports)
    .values({ departmentId: pool.departmentId, poolId: pool.id, fileName: fileName.slice(0, 255) || "upload.csv", format: "csv" })
    .returning({ id: imports.id });
  const store = objectStore();
  const key = uploadKey(job!.id);
  try {
    const { size } = await store.put(key, Readable.from(limited(toByteChunks(body), MAX_IMPORT_BYTES)));
    if (size === 0) throw invalidInput("fileEmpty");
    const source = await openTable(await store.get(key), { filename: fileName });
    const head: ParsedRow[] = [];
    // Leaving the loop closes the reader, so the file and any scratch space are released now.
    for await (const row of source.rows) if (head.push(row) >= PREVIEW_ROWS) break;
    if (head.length === 0) throw invalidInput("fileWithoutRows");
    const detected = { format: source.format, encoding: source.encoding, delimiter: source.delimiter, sizeBytes: size, preview: head.map((row) => row.fields) };
    await updateAudited(ctx.db, ctx.actor, imports, { id: job!.id, departmentId: pool.departmentId }, detected, {
      action: "pool.import_upload",
      objectType: "import",
      summary: { key: "pool.importUpload", params: { file: fileName, bytes: size, format: source.format, pool: pool.name } },
    });
    const preview = head.map((row) => row.fields);
    const suggestion = suggestMapping(preview);
    const addressColumns = columnsWithAddresses(preview);
    return {
      id: job!.id,
      format: source.format,
      encoding: source.encoding,
      delimiter: source.delimiter,
      sizeBytes: size,
      preview,
      ...suggestion,
      addressColumns,
      hasAddressColumn: addressColumns.length > 0,
    };
  } catch (error) {
    await store.delete(key);
    await ctx.db.delete(imports).where(eq(imports.id, job!.id));
    if (error instanceof TableFormatError) throw error.toAppError();
    throw error;
  }
}

/**
 * The columns with at least one address among the sampled rows. A header cell is never an
 * address, so the header row need not be skipped; the mapping step warns when the chosen
 * address column is not one of them, before a whole file is read as invalid rows.
 */
export function columnsWithAddresses(preview: string[][]): number[] {
  const width = Math.max(0, ...preview.map((row) => row.length));
  return Array.from({ length: width }, (_, index) => index).filter((index) =>
    preview.some((row) => row[index] !== undefined && readAddressCell(row[index]!).ok),
  );
}

export async function loadImport(ctx: Ctx, id: string): Promise<ImportJob> {
  if (!isUuid(id)) throw notFound("import");
  const [job] = await ctx.db.select().from(imports).where(eq(imports.id, id));
  if (!job) throw notFound("import");
  authorize(ctx.actor, "pools.manage", { departmentId: job.departmentId });
  return job;
}

/** Step two: the user's mapping is saved and the import runs in the background. */
export async function startImport(
  ctx: Ctx,
  id: string,
  input: { mapping: ImportMapping; hasHeader: boolean; updateExisting: boolean; hygiene?: ImportHygieneOptions },
) {
  const job = await loadImport(ctx, id);
  if (job.status !== "uploaded") throw conflict("importStarted");
  const width = Math.max(0, ...job.preview.map((row) => row.length));
  const columns = [input.mapping.emailColumn, input.mapping.nameColumn, input.mapping.tagsColumn ?? null, input.mapping.phoneColumn ?? null, ...input.mapping.attributeColumns.map((column) => column.index)];
  if (columns.some((column) => column !== null && (column < 0 || column >= width))) {
    throw invalidInput("mappingUnknownColumn", { field: "mapping" });
  }
  const operator = { id: ctx.actor.id, kind: ctx.actor.kind, label: ctx.actor.label, role: ctx.actor.role, ip: ctx.actor.ip };
  await ctx.db.transaction(async (tx) => {
    // Without a choice nothing is skipped and DNS is not asked (the console's form asks by default).
    const hygieneOptions: ImportHygieneOptions = { skip: [...new Set(input.hygiene?.skip ?? [])], checkMx: input.hygiene?.checkMx ?? false };
    const started = {
      status: "running" as const,
      mapping: { ...checkedMapping(input.mapping), ...(input.mapping.consent ? { consent: consentList(input.mapping.consent) } : {}) },
      hasHeader: input.hasHeader,
      updateExisting: input.updateExisting,
      hygieneOptions,
      hygiene: emptyTally(),
      operator,
      startedAt: new Date(),
    };
    await updateAudited(tx, ctx.actor, imports, job, started, {
      action: "pool.import_start",
      objectType: "import",
      summary: { key: "pool.importStart", params: { file: job.fileName, bytes: job.sizeBytes } },
    });
  });
  await runSomewhere(ctx.db as Database, id);
}

/** Hands the import to the installed driver (Inngest), or runs it in this process in the background. */
async function runSomewhere(db: Database, id: string): Promise<void> {
  const handedOff = await handOffImport(id).catch((error: unknown) => {
    // The job is saved as running: here it runs now, and a later start resumes it if this process ends first.
    console.error("[fanout] import", id, "could not be handed to the engine; running it here", error);
    return false;
  });
  if (!handedOff) runImport(db, id).catch((error) => console.error("[fanout] import", id, error));
}

const running = new Set<string>();

/** How a run of an import ended: finished, failed, stopped at its time budget with more to do, or not run (another holds it, or it is not running). */
export type ImportRunOutcome = "done" | "failed" | "more" | "not-mine";

/**
 * Runs (or resumes) an import: each batch commits its contacts, the job's counters, its
 * errors and the last line done together, so a restart continues after that line. With
 * `budgetMs`, it stops after the first batch past that time and lets the import go ("more"), so a
 * host that bounds each step's duration runs a large file as a chain of steps (inngest/functions/import-file.ts).
 */
export async function runImport(db: Database, id: string, options: { budgetMs?: number } = {}): Promise<ImportRunOutcome> {
  if (running.has(id)) return "not-mine";
  running.add(id);
  try {
    const [claimed] = await db
      .update(imports)
      .set({ heartbeatAt: new Date() })
      .where(
        and(
          eq(imports.id, id),
          eq(imports.status, "running"),
          or(isNull(imports.heartbeatAt), lt(imports.heartbeatAt, new Date(Date.now() - STALE_AFTER_MS))),
        ),
      )
      .returning();
    if (!claimed || !claimed.mapping) return "not-mine";
    const deadline = options.budgetMs === undefined ? Infinity : Date.now() + options.budgetMs;
    let stopped = false;
    const operator = claimed.operator;
    const actor: Actor = {
      kind: (operator?.kind as Actor["kind"]) ?? "system",
      id: operator?.id ?? "system",
      label: operator?.label ?? "import",
      role: (operator?.role as Actor["role"]) ?? "admin",
      departmentId: claimed.departmentId,
      readable: [claimed.departmentId],
      ip: operator?.ip ?? "",
    };
    try {
      const source = await openStored(claimed);
      // Carried from batch to batch (and from the stored value on a resume), written with each.
      const hygiene = readTally(claimed.hygiene);
      const phoneRegion = await readPhoneRegion(db);
      const totals = await importRows({
        db,
        departmentId: claimed.departmentId,
        poolId: claimed.poolId,
        rows: source.rows,
        mapping: claimed.mapping,
        hasHeader: claimed.hasHeader,
        updateExisting: claimed.updateExisting,
        skipHygiene: claimed.hygieneOptions.skip,
        resumeAfterLine: claimed.resumeAfterLine,
        phoneRegion,
        // Commit order is kept, so a crash loses a suffix of batches together with their
        // progress rows; the job's final (synchronous) commit flushes everything before it.
        asyncCommit: true,
        // Reading stops exactly when this answers true.
        stopWhen: () => (stopped ||= Date.now() >= deadline),
        record: async (tx, outcome) => {
          mergeTally(hygiene, outcome.hygiene);
          const [counted] = await tx
            .update(imports)
            .set({
              rowsRead: sql`${imports.rowsRead} + ${outcome.rowsRead}`,
              imported: sql`${imports.imported} + ${outcome.imported}`,
              updated: sql`${imports.updated} + ${outcome.updated}`,
              duplicates: sql`${imports.duplicates} + ${outcome.duplicates}`,
              invalid: sql`${imports.invalid} + ${outcome.invalid}`,
              badPhones: sql`${imports.badPhones} + ${outcome.badPhones}`,
              resumeAfterLine: outcome.lastLine,
              processedBytes: source.bytesRead(),
              hygiene,
              heartbeatAt: new Date(),
            })
            .where(eq(imports.id, id))
            .returning({ invalid: imports.invalid, badPhones: imports.badPhones });
          // Batches commit in order, so the rows reported before this batch are all stored up to the cap.
          // A bad phone number is reported like an invalid row (its contact was kept); no line is both.
          const reported = outcome.invalid + outcome.badPhones;
          const storedBefore = Math.min(STORED_ERROR_ROWS, counted!.invalid + counted!.badPhones - reported);
          const problems = outcome.badPhones === 0 ? outcome.invalidRows : [...outcome.invalidRows, ...outcome.badPhoneRows].sort((a, b) => a.line - b.line);
          const stored = problems.slice(0, STORED_ERROR_ROWS - storedBefore);
          for (let start = 0; start < stored.length; start += 2_000) {
            await tx
              .insert(importErrors)
              .values(stored.slice(start, start + 2_000).map((row) => ({ importId: id, line: row.line, reason: row.reason, params: row.params, value: row.value })))
              .onConflictDoNothing();
          }
        },
      });
      if (stopped) {
        // Released at once, so the next step claims it without waiting for the heartbeat to go stale.
        await db.update(imports).set({ heartbeatAt: null }).where(eq(imports.id, id));
        return "more";
      }
      await refreshStatistics(db, claimed.imported + totals.imported);
      await db.transaction(async (tx) => {
        const [done] = await tx
          .update(imports)
          .set({ status: "completed", finishedAt: new Date(), processedBytes: claimed.sizeBytes })
          .where(eq(imports.id, id))
          .returning();
        const [pool] = await tx.select({ name: pools.name }).from(pools).where(eq(pools.id, claimed.poolId));
        await recordAudit(tx, actor, {
          action: "pool.import",
          objectType: "pool",
          objectId: claimed.poolId,
          departmentId: claimed.departmentId,
          summary: {
            key: "pool.importDone",
            params: { file: claimed.fileName, pool: pool?.name ?? "?", imported: done!.imported, duplicates: done!.duplicates, invalid: done!.invalid, updated: done!.updated },
          },
          details: { importId: id, rows: done!.rowsRead, imported: done!.imported, duplicates: done!.duplicates, invalid: done!.invalid, updated: done!.updated, badPhones: done!.badPhones },
        });
      });
      await objectStore().delete(uploadKey(id));
      if (await queueMxCheck(db, id)) checkImportMx(db, id).catch((error) => console.error("[fanout] mx check", id, error));
      return "done";
    } catch (error) {
      const known = error instanceof AppError || error instanceof TableFormatError;
      if (!known) console.error("[fanout] import failed", id, error);
      // The reason is stored, not its English, so each viewer reads it in their language.
      const failure: { reason: Reason; params: ReasonParams } = known ? { reason: error.reason, params: error.params } : { reason: "importUnexpectedError", params: {} };
      await db.transaction(async (tx) => {
        await tx
          .update(imports)
          .set({ status: "failed", error: failure.reason, errorParams: failure.params, finishedAt: new Date() })
          .where(eq(imports.id, id));
        await recordAudit(tx, actor, {
          action: "pool.import",
          objectType: "pool",
          objectId: claimed.poolId,
          departmentId: claimed.departmentId,
          summary: { key: "pool.importFailed", params: { ...failure.params, file: claimed.fileName, problem: failure.reason } },
        });
      });
      return "failed";
    }
  } finally {
    running.delete(id);
  }
}

/** On start: picks up imports whose process died (no heartbeat for a minute). */
export async function resumeStaleImports(db: Database) {
  const stale = await db
    .select({ id: imports.id })
    .from(imports)
    .where(and(eq(imports.status, "running"), or(isNull(imports.heartbeatAt), lt(imports.heartbeatAt, new Date(Date.now() - STALE_AFTER_MS)))));
  for (const job of stale) await runSomewhere(db, job.id);
  await resumeMxChecks(db);
  return stale.length;
}
