import type { Database } from "@/db/client";
import { recordAudit } from "@/lib/audit/record";
import type { Ctx } from "@/lib/context";
import { invalidInput } from "@/lib/errors";
import { importRows, refreshStatistics, type InvalidRow } from "./import";
import { mappingFromHeader } from "./mapping";
import { openTable, TableFormatError, type SourceFormat } from "./parse";
import { loadPool } from "./pools";
import { peekRows } from "./rows";

export type ImportReport = { imported: number; duplicates: number; updated: number; rows: number; invalid: { line: number; reason: string }[] };

/**
 * The synchronous import of the HTTP API and the CLI: a CSV with a header row whose `email`
 * column is required; `name` becomes the name and every other column an attribute.
 */
export async function importTable(
  ctx: Ctx,
  poolId: string,
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  options: { format?: SourceFormat; fileName?: string; updateExisting?: boolean; onProgress?: (bytes: number) => void } = {},
): Promise<ImportReport> {
  const pool = await loadPool(ctx, poolId);
  let source;
  try {
    source = await openTable(body, { format: options.format, filename: options.fileName });
  } catch (error) {
    if (error instanceof TableFormatError) throw invalidInput(error.message);
    throw error;
  }
  const { head, all } = await peekRows(source.rows, 1);
  const header = head[0];
  if (!header) throw invalidInput("The file has no rows; the first row must be a header with an email column");
  const mapping = mappingFromHeader(header.fields);
  if (!mapping) {
    throw invalidInput(`Line ${header.line}: the header row has no "email" column (found: ${header.fields.slice(0, 10).join(", ")})`, {
      line: header.line,
    });
  }
  const invalid: Pick<InvalidRow, "line" | "reason">[] = [];
  try {
    const totals = await importRows({
      db: ctx.db as Database,
      departmentId: pool.departmentId,
      poolId: pool.id,
      rows: all,
      mapping,
      hasHeader: true,
      updateExisting: options.updateExisting ?? false,
      concurrency: 2,
      // The audit row below commits synchronously, which flushes every batch before the answer.
      asyncCommit: true,
      record: async (_tx, outcome) => {
        // Line and reason only: a value is a slice of a decoded chunk and would keep it alive.
        for (const { line, reason } of outcome.invalidRows) invalid.push({ line, reason });
        options.onProgress?.(source.bytesRead());
      },
    });
    await refreshStatistics(ctx.db, totals.imported);
    await recordAudit(ctx.db, ctx.actor, {
      action: "pool.import",
      objectType: "pool",
      objectId: pool.id,
      departmentId: pool.departmentId,
      summary: `Imported ${options.fileName ? `"${options.fileName}"` : "a CSV body"} into "${pool.name}": ${totals.imported} imported, ${totals.duplicates} duplicates, ${totals.invalid} invalid`,
      details: { ...totals },
    });
    return {
      imported: totals.imported,
      duplicates: totals.duplicates,
      updated: totals.updated,
      rows: totals.rowsRead,
      invalid,
    };
  } catch (error) {
    if (error instanceof TableFormatError) throw invalidInput(error.message);
    throw error;
  }
}
