/**
 * XLSX through exceljs's streaming parsers: the first visible worksheet, every cell as text.
 *
 * The archive is walked here rather than by exceljs's WorkbookReader, because its walk caches
 * the shared strings without limit and parks worksheets in temporary files of any size: a small
 * upload can inflate to gigabytes. Every part is counted as it inflates and refused past
 * XLSX_LIMITS, so memory, disk and CPU stay bounded whatever the archive claims.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import ExcelJS from "exceljs";
import unzipper from "unzipper";
import { TableFormatError } from "./decode";
import type { ParsedRow } from "./index";

const MiB = 1024 * 1024;

export const XLSX_LIMITS = {
  /** All parts together, as inflated; the same bound as the size of an uploaded CSV. */
  inflatedBytes: 1024 * MiB,
  /** xl/sharedStrings.xml, which is held in memory to resolve the cells that point into it. */
  sharedStringsBytes: 64 * MiB,
  /** Each other part read into memory whole: the workbook, its relationships and styles. */
  metadataBytes: 16 * MiB,
  /** One row of the worksheet (or what precedes the first row), which is held until it ends. */
  rowBytes: 8 * MiB,
};
export type XlsxLimits = typeof XLSX_LIMITS;

/** What exceljs's streaming reader has beyond its published types. */
type SheetEntry = { id: number; name: string; state?: string };
type ReaderInternals = {
  model?: { sheets?: SheetEntry[] };
  workbookRels?: unknown;
  sharedStrings?: unknown[];
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseStyles(entry: Readable): Promise<void>;
  _parseSharedStrings(entry: Readable): AsyncGenerator<{ index: number; text: ExcelJS.CellValue }>;
  _parseWorksheet(chunks: AsyncIterable<Buffer>, sheetNo: string): Generator<{ value: Worksheet }>;
};
type Worksheet = ExcelJS.stream.xlsx.WorksheetReader & { id: number | string };

const SHEET_PART = /^xl\/worksheets\/sheet(\d+)\.xml$/;

export async function* readXlsxRows(chunks: AsyncIterable<Uint8Array>, limits: XlsxLimits = XLSX_LIMITS): AsyncGenerator<ParsedRow> {
  // The zip reader never hears about errors of a stream piped into it and would wait forever,
  // so a failing input just ends the stream and its error is rethrown here instead.
  const input: { failed: boolean; error?: unknown } = { failed: false };
  async function* guarded(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of chunks) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    } catch (error) {
      input.failed = true;
      input.error = error;
    }
  }
  const stream = Readable.from(guarded(), { objectMode: false });
  const zip = unzipper.Parse({ forceStream: true });
  stream.pipe(zip);
  // A broken or cut-off archive fails the zip reader, not the entry being read, which would
  // then wait forever: pass the failure on to that entry.
  let current: unzipper.Entry | null = null;
  let zipFailure: Error | null = null;
  zip.on("error", (error: Error) => {
    zipFailure = error;
    current?.destroy(error);
  });
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(stream, {
    // Shared strings are collected by readSharedStrings below, bounded and as plain text.
    sharedStrings: "emit",
    hyperlinks: "ignore",
    // Dates are numbers with a date format; without the styles they would read as serial numbers.
    styles: "cache",
    worksheets: "emit",
  });
  const internals = reader as unknown as ReaderInternals;
  const budget = new InflatedBudget(limits);
  let parkDir: string | null = null;
  const parked: { sheetNo: string; file: string }[] = [];
  let found = false;
  let lastRow = 0;

  async function* rowsOf(sheetChunks: AsyncIterable<Buffer>, sheetNo: string): AsyncGenerator<ParsedRow> {
    const sheet = internals._parseWorksheet(boundRows(sheetChunks, limits.rowBytes), sheetNo).next().value!.value;
    if (!isFirstSheet(internals, sheet)) return;
    found = true;
    for await (const row of sheet) {
      lastRow = row.number;
      const fields = rowFields(row);
      if (fields.some((field) => field.trim() !== "")) yield { line: row.number, fields };
    }
  }

  try {
    for await (const entry of zip) {
      if (zipFailure) throw zipFailure;
      current = entry;
      const name = entry.path;
      const sheetNo = SHEET_PART.exec(name)?.[1];
      if (name === "xl/_rels/workbook.xml.rels") {
        await internals._parseRels(Readable.from(budget.inflate(entry, name, limits.metadataBytes)));
      } else if (name === "xl/workbook.xml") {
        await internals._parseWorkbook(Readable.from(budget.inflate(entry, name, limits.metadataBytes)));
      } else if (name === "xl/styles.xml") {
        await internals._parseStyles(Readable.from(budget.inflate(entry, name, limits.metadataBytes)));
      } else if (name === "xl/sharedStrings.xml") {
        internals.sharedStrings = await readSharedStrings(internals, Readable.from(budget.inflate(entry, name, limits.sharedStringsBytes)));
      } else if (sheetNo !== undefined && !found) {
        if (internals.sharedStrings && internals.workbookRels) {
          yield* rowsOf(budget.inflate(entry, name), sheetNo);
        } else {
          // Cells may point into shared strings that come later in the archive: keep the sheet
          // on disk (counted like everything else) until they have been read.
          parkDir ??= await fs.promises.mkdtemp(path.join(os.tmpdir(), "fanout-xlsx-"));
          const file = path.join(parkDir, `sheet${sheetNo}.xml`);
          await pipeline(Readable.from(budget.inflate(entry, name)), fs.createWriteStream(file, { mode: 0o600 }));
          parked.push({ sheetNo, file });
        }
      }
      // Parts nobody reads are still inflated by the zip reader: count them as they pass.
      for await (const _ of budget.inflate(entry, name));
    }
    for (const { sheetNo, file } of parked) {
      if (found) break;
      // Opened only when read: a sheet that turns out not to be the first is never opened.
      yield* rowsOf((async function* () {
        yield* fs.createReadStream(file) as AsyncIterable<Buffer>;
      })(), sheetNo);
    }
  } catch (error) {
    if (input.failed) throw input.error;
    if (error instanceof TableFormatError) throw withRow(error, lastRow);
    throw lastRow > 0 ? new TableFormatError("tableXlsxBreaksOff", { params: { row: lastRow }, cause: error }) : new TableFormatError("tableNotXlsx", { cause: error });
  } finally {
    stream.destroy();
    zip.destroy();
    if (parkDir) await fs.promises.rm(parkDir, { recursive: true, force: true });
  }
  if (input.failed) throw input.error;
  if (!found) throw new TableFormatError("tableNoWorksheet");
}

/** Counts inflated bytes per part and in all, and stops the read at the first limit passed. */
class InflatedBudget {
  private total = 0;
  private readonly counted = new WeakSet<object>();

  constructor(private readonly limits: XlsxLimits) {}

  /** The entry's bytes as they inflate; an entry already read through here yields nothing more. */
  async *inflate(entry: unzipper.Entry, name: string, partLimit = Infinity): AsyncGenerator<Buffer> {
    if (this.counted.has(entry)) return;
    this.counted.add(entry);
    let part = 0;
    for await (const chunk of entry as AsyncIterable<Buffer>) {
      part += chunk.byteLength;
      this.total += chunk.byteLength;
      if (part > partLimit) {
        throw new TableFormatError("tableXlsxPartTooLarge", { params: { part: name, size: size(partLimit) } });
      }
      if (this.total > this.limits.inflatedBytes) {
        throw new TableFormatError("tableXlsxTooLarge", { params: { size: size(this.limits.inflatedBytes) } });
      }
      yield chunk;
    }
  }
}

/**
 * Collects the shared strings as plain text (rich text flattened: its runs' fonts are never
 * used here), so what stays in memory is no more than the part's bounded bytes.
 */
async function readSharedStrings(internals: ReaderInternals, part: Readable): Promise<string[]> {
  const strings: string[] = [];
  for await (const { index, text } of internals._parseSharedStrings(part)) strings[index] = cellText(text);
  return strings;
}

const ROW_BOUNDARIES = ["<row", "</row"].map((needle) => Buffer.from(needle));
const SHEET_DATA_END = Buffer.from("</sheetData");
const CARRY = SHEET_DATA_END.length - 1;

/**
 * Refuses a worksheet whose rows (or whatever precedes the first one) grow past `limit` bytes:
 * exceljs holds a row's cells until it ends. After the sheet data nothing is kept, so nothing
 * is counted there.
 */
async function* boundRows(chunks: AsyncIterable<Buffer>, limit: number): AsyncGenerator<Buffer> {
  let sinceBoundary = 0;
  let carry = Buffer.alloc(0);
  let inData = true;
  for await (const chunk of chunks) {
    if (inData) {
      const window = carry.byteLength > 0 ? Buffer.concat([carry, chunk]) : chunk;
      if (window.includes(SHEET_DATA_END)) {
        inData = false;
      } else {
        const boundary = Math.max(...ROW_BOUNDARIES.map((needle) => window.lastIndexOf(needle)));
        sinceBoundary = boundary >= 0 ? window.byteLength - boundary : sinceBoundary + chunk.byteLength;
        if (sinceBoundary > limit) throw new TableFormatError("tableXlsxRowTooLarge", { params: { size: size(limit) } });
        carry = Buffer.from(window.subarray(Math.max(0, window.byteLength - CARRY)));
      }
    }
    yield chunk;
  }
}

function withRow(error: TableFormatError, lastRow: number): TableFormatError {
  if (lastRow === 0 || error.line !== undefined) return error;
  const params = { ...error.params, problem: error.reason, row: lastRow };
  return new TableFormatError("tableAfterRow", { params, line: lastRow + 1, cause: error.cause, ...(error.kind ? { kind: error.kind } : {}) });
}

function size(bytes: number): string {
  return bytes >= 1024 * MiB && bytes % (1024 * MiB) === 0 ? `${bytes / (1024 * MiB)} GiB` : `${Math.round(bytes / MiB)} MiB`;
}

/** The leftmost visible tab; before workbook.xml has been read, the first sheet in the archive. */
function isFirstSheet(internals: ReaderInternals, sheet: Worksheet): boolean {
  const sheets = internals.model?.sheets ?? [];
  const first = sheets.find((entry) => entry.state !== "hidden" && entry.state !== "veryHidden") ?? sheets[0];
  if (!first) return true;
  const id = String(sheet.id);
  const known = sheets.some((entry) => String(entry.id) === id);
  return !known || String(first.id) === id;
}

function rowFields(row: ExcelJS.Row): string[] {
  const fields: string[] = [];
  row.eachCell({ includeEmpty: false }, (cell, column) => {
    while (fields.length < column - 1) fields.push("");
    fields[column - 1] = cellText(cell.value);
  });
  return fields;
}

export function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  if (value instanceof Date) return dateText(value);
  if ("richText" in value) return value.richText.map((run) => run.text ?? "").join("");
  if ("formula" in value || "sharedFormula" in value) return cellText(value.result ?? null);
  if ("hyperlink" in value) return cellText(value.text as ExcelJS.CellValue);
  if ("error" in value) return value.error;
  return "";
}

/** exceljs returns the cell's wall-clock time as a UTC instant. */
function dateText(date: Date): string {
  if (Number.isNaN(date.getTime())) return "";
  const iso = date.toISOString();
  return iso.endsWith("T00:00:00.000Z") ? iso.slice(0, 10) : iso;
}
