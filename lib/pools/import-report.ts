/*
 * What a console import tells its reader: its progress and its per-row error report. Reasons are
 * stored as keys and worded here or by the route, in the language of whoever is reading.
 */

import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { importErrors } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { reasonsEn, type Reason, type ReasonCatalogue, type ReasonParams } from "@/lib/i18n/reasons-en";
import { wordStoredReason } from "./import";
import { readTally } from "./hygiene/tally";
import { loadImport, STORED_ERROR_ROWS } from "./import-jobs";

/** The progress bar's view of an import; a failure is worded from `catalogue` (the viewer's language). */
export async function importProgress(ctx: Ctx, id: string, catalogue: ReasonCatalogue = reasonsEn) {
  const job = await loadImport(ctx, id);
  return {
    id: job.id,
    status: job.status,
    fileName: job.fileName,
    sizeBytes: job.sizeBytes,
    processedBytes: job.processedBytes,
    rowsRead: job.rowsRead,
    imported: job.imported,
    updated: job.updated,
    duplicates: job.duplicates,
    invalid: job.invalid,
    /** Rows imported without their phone number (the report lists them beside the invalid rows). */
    badPhones: job.badPhones,
    /** Flagged and skipped rows per kind, with examples; the MX check's state. */
    hygiene: readTally(job.hygiene),
    hygieneOptions: job.hygieneOptions,
    error: job.error === null ? null : wordStoredReason(catalogue, job.error, job.errorParams),
    poolId: job.poolId,
  };
}

/** One row of an import's error report: its reason is a catalogue key (English text in older rows). */
export type ImportErrorLine = { line: number | null; reason: string; params: ReasonParams; value: string };

/**
 * The stored error rows in line order; when more rows were invalid than are stored, a last row
 * without a line number says how many are not listed. Reasons are worded by the reader
 * (wordStoredReason), so the report is in the language of whoever downloads it.
 */
export async function importErrorLines(ctx: Ctx, id: string): Promise<AsyncIterable<ImportErrorLine>> {
  const job = await loadImport(ctx, id);
  const db = ctx.db;
  async function* rows() {
    let after = 0;
    let listed = 0;
    for (;;) {
      const page = await db
        .select({ line: importErrors.line, reason: importErrors.reason, params: importErrors.params, value: importErrors.value })
        .from(importErrors)
        .where(and(eq(importErrors.importId, id), sql`${importErrors.line} > ${after}`))
        .orderBy(importErrors.line)
        .limit(5_000);
      if (page.length === 0) break;
      yield* page;
      listed += page.length;
      after = page[page.length - 1]!.line;
    }
    const reported = job.invalid + job.badPhones;
    if (reported > listed) {
      const notListed: ImportErrorLine = { line: null, reason: "importRowsNotListed" satisfies Reason, params: { count: reported - listed, max: STORED_ERROR_ROWS }, value: "" };
      yield notListed;
    }
  }
  return rows();
}
