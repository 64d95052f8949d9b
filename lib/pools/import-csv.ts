import "server-only";
import type { Database } from "@/db/client";
import type { ContactChannel } from "@/db/schema";
import { readPhoneRegion } from "@/lib/accounts/settings";
import { recordAudit } from "@/lib/audit/record";
import type { Ctx } from "@/lib/access/context";
import { invalidInput } from "@/lib/errors";
import { reasonsEn } from "@/lib/i18n/reasons-en";
import { importRows, refreshStatistics, wordStoredReason, type InvalidRow } from "./import";
import type { SkippableFlag } from "./hygiene/flags";
import { emptyTally, mergeTally, type HygieneTally } from "./hygiene/tally";
import { mappingFromHeader } from "./mapping";
import { openTable, TableFormatError, type SourceFormat } from "./parse";
import { loadPool } from "./pools";
import { peekRows } from "./rows";

/** Invalid rows listed in the report; the rest are only counted (`invalidCount`). */
export const REPORTED_INVALID_ROWS = 1_000;

export type ImportReport = {
  imported: number;
  duplicates: number;
  updated: number;
  rows: number;
  /** The first REPORTED_INVALID_ROWS invalid rows, in file order. */
  invalid: { line: number; reason: string }[];
  /** Every invalid row, listed or not. */
  invalidCount: number;
  /** True when `invalid` lists only some of them. */
  invalidTruncated: boolean;
  /** The first REPORTED_INVALID_ROWS rows imported without their phone number, which was not one. */
  badPhones: { line: number; value: string; reason: string }[];
  badPhoneCount: number;
  /** Rows flagged (imported) and skipped per hygiene kind, with the earliest examples. */
  hygiene: Pick<HygieneTally, "flagged" | "skipped" | "examples">;
};

type ImportOptions = {
  format?: SourceFormat;
  fileName?: string;
  updateExisting?: boolean;
  /** Flagged addresses of these kinds are skipped instead of imported and flagged. */
  skipHygiene?: readonly SkippableFlag[];
  /** Tags every imported contact is given, checked by the caller (lib/pools/tag-names.ts). */
  tags?: string[];
  /** The header of a column read as tags instead of an attribute. */
  tagsColumn?: string;
  /** Channels every imported contact consented to. */
  consent?: ContactChannel[];
  onProgress?: (bytes: number) => void;
};

/**
 * The synchronous import of the HTTP API and the CLI: a CSV with a header row whose `email`
 * column is required; `name` becomes the name and every other column an attribute.
 */
export async function importTable(
  ctx: Ctx,
  poolId: string,
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const pool = await loadPool(ctx, poolId);
  try {
    return await importSource(ctx, pool, body, options);
  } catch (error) {
    // Anywhere in the file, the header row included, a broken table is the caller's input.
    if (error instanceof TableFormatError) throw error.toAppError();
    throw error;
  }
}

async function importSource(
  ctx: Ctx,
  pool: Awaited<ReturnType<typeof loadPool>>,
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  options: ImportOptions,
): Promise<ImportReport> {
  const source = await openTable(body, { format: options.format, filename: options.fileName });
  const { head, all } = await peekRows(source.rows, 1);
  const header = head[0];
  if (!header) throw invalidInput("fileWithoutRows");
  const mapping = mappingFromHeader(header.fields, { tagsColumn: options.tagsColumn, tags: options.tags, consent: options.consent });
  if (!mapping) {
    throw invalidInput("noEmailColumn", { params: { line: header.line, found: header.fields.slice(0, 10).join(", ") }, details: { line: header.line } });
  }
  const invalid = new EarliestRows(REPORTED_INVALID_ROWS);
  const badPhones = new EarliestRows(REPORTED_INVALID_ROWS);
  const hygiene = emptyTally();
  const totals = await importRows({
    db: ctx.db as Database,
    departmentId: pool.departmentId,
    poolId: pool.id,
    rows: all,
    mapping,
    hasHeader: true,
    updateExisting: options.updateExisting ?? false,
    skipHygiene: options.skipHygiene,
    concurrency: 2,
    phoneRegion: await readPhoneRegion(ctx.db),
    // The audit row below commits synchronously, which flushes every batch before the answer.
    asyncCommit: true,
    record: async (_tx, outcome) => {
      // Line and reason only: a value is a slice of a decoded chunk and would keep it alive.
      // Two batches may commit out of order, so the earliest lines are kept, not the first seen.
      for (const { line, reason, params } of outcome.invalidRows) invalid.offer({ line, reason, params });
      // A bad phone's value is already its own short copy (lib/pools/phone-cell.ts).
      for (const { line, reason, params } of outcome.badPhoneRows) badPhones.offer({ line, reason, params });
      mergeTally(hygiene, outcome.hygiene);
      options.onProgress?.(source.bytesRead());
    },
  });
  await refreshStatistics(ctx.db, totals.imported);
  await recordAudit(ctx.db, ctx.actor, {
    action: "pool.import",
    objectType: "pool",
    objectId: pool.id,
    departmentId: pool.departmentId,
    summary: {
      key: options.fileName ? "pool.import" : "pool.importBody",
      params: { file: options.fileName ?? null, pool: pool.name, imported: totals.imported, duplicates: totals.duplicates, invalid: totals.invalid },
    },
    details: { ...totals },
  });
  return {
    imported: totals.imported,
    duplicates: totals.duplicates,
    updated: totals.updated,
    rows: totals.rowsRead,
    // API callers read English (API.md), worded from the same reasons the console words in its reader's language.
    invalid: invalid.sorted().map(({ line, reason, params }) => ({ line, reason: wordStoredReason(reasonsEn, reason, params) })),
    invalidCount: totals.invalid,
    invalidTruncated: totals.invalid > invalid.rows.length,
    badPhones: badPhones.sorted().map(({ line, reason, params }) => ({ line, value: String(params.value ?? ""), reason: wordStoredReason(reasonsEn, reason, params) })),
    badPhoneCount: totals.badPhones,
    hygiene: { flagged: hygiene.flagged, skipped: hygiene.skipped, examples: hygiene.examples },
  };
}

/**
 * Keeps the `limit` invalid rows with the lowest line numbers. Batches arrive nearly in order,
 * so once the list is full almost every later row is refused by one comparison.
 */
type ListedRow = Pick<InvalidRow, "line" | "reason" | "params">;

class EarliestRows {
  readonly rows: ListedRow[] = [];
  private latest = -1;

  constructor(private readonly limit: number) {}

  offer(row: ListedRow): void {
    if (this.rows.length < this.limit) {
      this.rows.push(row);
      if (this.latest < 0 || row.line > this.rows[this.latest]!.line) this.latest = this.rows.length - 1;
      return;
    }
    if (row.line >= this.rows[this.latest]!.line) return;
    this.rows[this.latest] = row;
    this.latest = 0;
    for (let i = 1; i < this.rows.length; i++) if (this.rows[i]!.line > this.rows[this.latest]!.line) this.latest = i;
  }

  sorted(): ListedRow[] {
    return [...this.rows].sort((a, b) => a.line - b.line);
  }
}
