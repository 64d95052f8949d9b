import { describe, expect, it } from "vitest";
import { openTable, TableFormatError, type ParsedRow } from "@/lib/pools/parse";

async function* inChunks(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.slice(i, i + size);
}

/** Reads a table to its end: the rows read, and what stopped it. */
async function readAll(data: Uint8Array, filename = "list.csv") {
  const rows: ParsedRow[] = [];
  try {
    const source = await openTable(inChunks(data, 4096), { filename });
    for await (const row of source.rows) rows.push(row);
    return { rows, error: null };
  } catch (error) {
    return { rows, error: error as TableFormatError };
  }
}

describe("binary files", () => {
  it("refuses a NUL far past the sniffed start at its line, after the rows before it", async () => {
    const good = Array.from({ length: 5000 }, (_, n) => `user${n}@example.com,名字${n}`).join("\n");
    const data = Buffer.concat([Buffer.from(`email,name\n${good}\nbad@example.com,x`), Buffer.from([0, 0x41]), Buffer.from("\nlast@example.com,y\n")]);
    expect(data.indexOf(0)).toBeGreaterThan(64 * 1024);
    const { rows, error } = await readAll(data);
    expect(error).toBeInstanceOf(TableFormatError);
    expect(error).toMatchObject({ kind: "binary_file", reason: "tableNulByte", line: 5002, details: { reason: "binary_file", line: 5002 } });
    expect(rows).toHaveLength(5001);
    expect(rows.at(-1)!.fields[0]).toBe("user4999@example.com");
  });

  it("knows images, PDFs and archives by their first bytes, whatever the file is called", async () => {
    for (const head of [[0x89, 0x50, 0x4e, 0x47], [0xff, 0xd8, 0xff, 0xe0], [...Buffer.from("GIF89a")], [...Buffer.from("%PDF-1.7")], [0x1f, 0x8b, 0x08]]) {
      const { error } = await readAll(Uint8Array.from([...head, ...Buffer.from("\nemail\na@example.com\n")]), "list.csv");
      expect([head, error?.kind]).toEqual([head, "binary_file"]);
    }
  });

  it("reads text with stray control characters but no NUL, and UTF-16 with its mark", async () => {
    expect((await readAll(Buffer.from("email\x1a\na@example.com\n"))).error).toBeNull();
    const utf16 = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from("email\na@example.com\n", "utf16le").swap16()]);
    const { rows, error } = await readAll(utf16, "list.txt");
    expect(error).toBeNull();
    expect(rows.map((row) => row.fields)).toEqual([["email"], ["a@example.com"]]);
  });
});
