import fs from "node:fs";
import os from "node:os";
import { describe, expect, it } from "vitest";
import { openTable, TableFormatError, type ParsedRow } from "@/lib/pools/parse";
import { readXlsxRows, XLSX_LIMITS } from "@/lib/pools/parse/xlsx";
import { peakMemory } from "../helpers/memory";
import { workbookArchive } from "../helpers/xlsx-archive";

const MiB = 1024 * 1024;

async function* inChunks(data: Uint8Array, size = 64 * 1024) {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function rows(data: Uint8Array, limits = XLSX_LIMITS): Promise<ParsedRow[]> {
  const out: ParsedRow[] = [];
  for await (const row of readXlsxRows(inChunks(data), limits)) out.push(row);
  return out;
}

async function refusal(data: Uint8Array, limits = XLSX_LIMITS): Promise<TableFormatError> {
  try {
    await rows(data, limits);
  } catch (error) {
    if (error instanceof TableFormatError) return error;
    throw error;
  }
  throw new Error("the workbook was read");
}

const scratchDirs = () => fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith("fanout-xlsx-")).sort();

/** 64 KiB of 1 KiB shared strings, to be repeated: 16,384 times is a 1 GiB part. */
const SHARED_STRINGS = `<si><t>${"a".repeat(1024 - 15)}</t></si>`.repeat(64);

describe("XLSX limits", () => {
  it("reads a workbook written by the archive helper (the bombs below are real workbooks)", async () => {
    const data = workbookArchive({
      sheetRows: [`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>`, `<row r="2"><c r="A2" t="inlineStr"><is><t>b@example.com</t></is></c></row>`],
      sharedStrings: [`<si><t>a@example.com</t></si>`, `<si><r><t>Ann </t></r><r><rPr><b/></rPr><t>Lee</t></r></si>`],
    });
    expect(await rows(data)).toEqual([
      { line: 1, fields: ["a@example.com", "Ann Lee"] },
      { line: 2, fields: ["b@example.com"] },
    ]);
  });

  it("refuses a shared-strings zip bomb, naming the limit, with memory bounded", async () => {
    const data = workbookArchive({
      sheetRows: [`<row r="1"><c r="A1" t="s"><v>0</v></c></row>`],
      sharedStrings: [{ repeat: SHARED_STRINGS, times: 16 * 1024 }],
    });
    expect(data.byteLength).toBeLessThan(4 * MiB); // inflates to 1 GiB
    const before = scratchDirs();
    const { outcome: error, liveMiB, heapMiB, rssMiB } = await peakMemory(() => refusal(data));
    console.log(`shared-strings bomb: ${(data.byteLength / MiB).toFixed(1)} MiB archive → refused; live heap +${liveMiB.toFixed(0)} MiB, raw heap +${heapMiB.toFixed(0)} MiB, rss +${rssMiB.toFixed(0)} MiB`);
    expect(error.message).toBe("The workbook's part xl/sharedStrings.xml unpacks to more than 64 MiB; save the sheet as CSV and import that");
    expect(liveMiB).toBeLessThan(128);
    // The sheet parked on disk while the strings were read is gone too.
    expect(scratchDirs()).toEqual(before);
  });

  it("refuses a row that grows past the row limit before it is held", async () => {
    const cell = `<c r="B1" t="inlineStr"><is><t>${"x".repeat(MiB)}</t></is></c>`;
    const data = workbookArchive({
      sheetRows: [`<row r="1"><c r="A1" t="inlineStr"><is><t>a@example.com</t></is></c></row><row r="2">`, { repeat: cell, times: 9 }, `</row>`],
    });
    const error = await refusal(data);
    expect(error.message).toBe("A row of the worksheet is larger than 8 MiB (after row 1)");
    expect(error.line).toBe(2);
  });

  it("counts every part, read or not, against the inflated total, and cleans up a parked sheet", async () => {
    const limits = { ...XLSX_LIMITS, inflatedBytes: 2 * MiB };
    const padding = workbookArchive({
      sheetRows: [`<row r="1"><c r="A1" t="inlineStr"><is><t>a@example.com</t></is></c></row>`],
      extra: [{ name: "xl/media/image1.png", parts: [{ repeat: "z".repeat(1024), times: 3 * 1024 }] }],
    });
    expect((await refusal(padding, limits)).message).toBe("The workbook unpacks to more than 2 MiB; save the sheet as CSV or split it");
    const before = scratchDirs();
    const parked = workbookArchive({ sheetRows: [{ repeat: `<row r="1"><c r="A1"><v>1</v></c></row>`, times: 100_000 }], sharedStrings: [] });
    expect((await refusal(parked, limits)).message).toBe("The workbook unpacks to more than 2 MiB; save the sheet as CSV or split it");
    expect(scratchDirs()).toEqual(before);
    expect(await rows(parked)).toHaveLength(100_000);
  });

  it("refuses an oversized metadata part such as the styles", async () => {
    const data = workbookArchive({
      sheetRows: [`<row r="1"><c r="A1" t="inlineStr"><is><t>a@example.com</t></is></c></row>`],
      extra: [{ name: "xl/styles.xml", parts: [`<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts>`, { repeat: `<numFmt numFmtId="1" formatCode="0"/>`.padEnd(1024, " "), times: 17 * 1024 }, `</numFmts></styleSheet>`] }],
    });
    expect((await refusal(data)).message).toBe("The workbook's part xl/styles.xml unpacks to more than 16 MiB; save the sheet as CSV and import that");
  });

  it("refuses the bomb through openTable too, as the import and the preview read it", async () => {
    const data = workbookArchive({ sheetRows: [`<row r="1"><c r="A1" t="s"><v>0</v></c></row>`], sharedStrings: [{ repeat: SHARED_STRINGS, times: 2 * 1024 }] });
    const source = await openTable(inChunks(data), { filename: "list.xlsx" });
    await expect((async () => {
      for await (const _row of source.rows) void _row;
    })()).rejects.toThrow(/unpacks to more than 64 MiB/);
  });
});
