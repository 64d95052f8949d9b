/**
 * XLSX through exceljs's streaming reader: the first visible worksheet, every cell as text.
 */
import { Readable } from "node:stream";
import ExcelJS from "exceljs";
import { TableFormatError } from "./decode";
import type { ParsedRow } from "./index";

export const NOT_XLSX = "The file is not a valid XLSX workbook";

/** What exceljs's streaming reader attaches beyond its published types. */
type SheetEntry = { id: number; name: string; state?: string };
type WorkbookReaderInternals = { model?: { sheets?: SheetEntry[] } };
type WorksheetReaderInternals = { id: number | string; iterator?: unknown };
type Worksheet = ExcelJS.stream.xlsx.WorksheetReader;

export async function* readXlsxRows(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<ParsedRow> {
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
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(stream, {
    sharedStrings: "cache",
    hyperlinks: "ignore",
    // Dates are numbers with a date format; without the styles they would read as serial numbers.
    styles: "cache",
    worksheets: "emit",
  });

  let found = false;
  let lastRow = 0;
  let current: Worksheet | null = null;
  try {
    for await (const sheet of reader) {
      current = sheet;
      if (found || !isFirstSheet(reader, sheet)) {
        release(sheet);
        continue;
      }
      found = true;
      for await (const row of sheet) {
        lastRow = row.number;
        const fields = rowFields(row);
        if (fields.some((field) => field.trim() !== "")) yield { line: row.number, fields };
      }
    }
  } catch (error) {
    if (input.failed) throw input.error;
    const where = lastRow > 0 ? ` (it breaks off after row ${lastRow})` : "";
    throw new TableFormatError(`${NOT_XLSX}${where}`, { cause: error });
  } finally {
    if (current) release(current);
    stream.destroy();
  }
  if (input.failed) throw input.error;
  if (!found) throw new TableFormatError(`${NOT_XLSX}: it contains no worksheet`);
}

/** The leftmost visible tab; before workbook.xml has been read, the first sheet in the archive. */
function isFirstSheet(reader: ExcelJS.stream.xlsx.WorkbookReader, sheet: Worksheet): boolean {
  const sheets = (reader as unknown as WorkbookReaderInternals).model?.sheets ?? [];
  const first = sheets.find((entry) => entry.state !== "hidden" && entry.state !== "veryHidden") ?? sheets[0];
  if (!first) return true;
  const id = String((sheet as unknown as WorksheetReaderInternals).id);
  const known = sheets.some((entry) => String(entry.id) === id);
  return !known || String(first.id) === id;
}

/** A sheet parked in a temporary file holds an open file until its stream is consumed or destroyed. */
function release(sheet: Worksheet): void {
  const source = (sheet as unknown as WorksheetReaderInternals).iterator;
  if (source instanceof Readable) source.destroy();
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
