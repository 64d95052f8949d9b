import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { openTable, TableFormatError, type ParsedRow, type TableSource } from "@/lib/pools/parse";

const utf8 = (text: string) => new TextEncoder().encode(text);
const bytes = (...parts: (Uint8Array | number[] | string)[]) =>
  Uint8Array.from(parts.flatMap((part) => (typeof part === "string" ? [...utf8(part)] : [...part])));

async function* inChunks(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.slice(i, i + size);
}

async function collect(source: TableSource): Promise<ParsedRow[]> {
  const rows: ParsedRow[] = [];
  for await (const row of source.rows) rows.push(row);
  return rows;
}

async function read(data: Uint8Array, options?: Parameters<typeof openTable>[1], chunkSize = data.length || 1) {
  const source = await openTable(inChunks(data, chunkSize), options);
  return { source, rows: await collect(source) };
}

const fieldsOf = (rows: ParsedRow[]) => rows.map((row) => row.fields);
const linesOf = (rows: ParsedRow[]) => rows.map((row) => row.line);

// GB18030 (GBK) bytes of a few names; checked against Node's own decoder below.
const GB = { 张伟: [0xd5, 0xc5, 0xce, 0xb0], 王芳: [0xcd, 0xf5, 0xb7, 0xbc], 中文: [0xd6, 0xd0, 0xce, 0xc4] };

describe("encodings", () => {
  it("reads UTF-8 with a BOM and strips the BOM", async () => {
    const { source, rows } = await read(bytes([0xef, 0xbb, 0xbf], "email,name\r\na@x.com,Zoë 张伟\r\n"));
    expect(source.encoding).toBe("utf-8");
    expect(fieldsOf(rows)).toEqual([["email", "name"], ["a@x.com", "Zoë 张伟"]]);
  });

  it("reads UTF-8 without a BOM", async () => {
    const { source, rows } = await read(utf8("email,name\na@x.com,王芳\n"));
    expect(source.encoding).toBe("utf-8");
    expect(rows[1]?.fields).toEqual(["a@x.com", "王芳"]);
  });

  it("reads GB18030 Chinese names", async () => {
    for (const [text, code] of Object.entries(GB)) expect(new TextDecoder("gb18030").decode(Uint8Array.from(code))).toBe(text);
    const data = bytes("email,name\n", "a@x.com,", GB.张伟, "\n", "b@x.com,", GB.王芳, "\n", "c@x.com,", GB.中文, "\n");
    const { source, rows } = await read(data);
    expect(source.encoding).toBe("gb18030");
    expect(fieldsOf(rows).slice(1)).toEqual([["a@x.com", "张伟"], ["b@x.com", "王芳"], ["c@x.com", "中文"]]);
  });

  it("switches to GB18030 when the first non-ASCII bytes come after the first 64 KiB", async () => {
    const ascii = Array.from({ length: 3000 }, (_, i) => `user${i}@example.com,Name ${i}\n`).join("");
    expect(ascii.length).toBeGreaterThan(64 * 1024);
    const { source, rows } = await read(bytes(ascii, "late@x.com,", GB.张伟, "\n"), undefined, 1000);
    expect(source.encoding).toBe("gb18030");
    expect(rows.at(-1)).toEqual({ line: 3001, fields: ["late@x.com", "张伟"] });
  });

  it("reads UTF-16LE and UTF-16BE with a BOM (Excel's Unicode text)", async () => {
    const text = "email\tname\r\na@x.com\t张伟\r\n";
    const le = bytes([0xff, 0xfe], [...Buffer.from(text, "utf16le")]);
    const be = bytes([0xfe, 0xff], [...Buffer.from(text, "utf16le").swap16()]);
    for (const [data, encoding] of [[le, "utf-16le"], [be, "utf-16be"]] as const) {
      const { source, rows } = await read(data, { filename: "export.txt" }, 3);
      expect(source.encoding).toBe(encoding);
      expect(source.delimiter).toBe("\t");
      expect(source.format).toBe("tsv");
      expect(fieldsOf(rows)).toEqual([["email", "name"], ["a@x.com", "张伟"]]);
    }
  });

  it("honours an explicit encoding", async () => {
    const { source, rows } = await read(bytes("a@x.com,", GB.王芳, "\n"), { encoding: "gb18030" });
    expect(source.encoding).toBe("gb18030");
    expect(rows[0]?.fields).toEqual(["a@x.com", "王芳"]);
  });
});

describe("delimiters", () => {
  it("detects semicolons even when names contain commas", async () => {
    const { source, rows } = await read(utf8("email;name;city\na@x.com;Smith, John;Berlin\nb@x.com;Li;Köln\n"));
    expect(source.delimiter).toBe(";");
    expect(source.format).toBe("csv");
    expect(rows[1]?.fields).toEqual(["a@x.com", "Smith, John", "Berlin"]);
  });

  it("detects tabs and pipes, ignoring delimiters inside quotes", async () => {
    expect((await read(utf8('email\tname\na@x.com\t"Smith, J"\nb@x.com\tLi\n'))).source.delimiter).toBe("\t");
    expect((await read(utf8('email|name\na@x.com|"a;b;c"\nb@x.com|Li\n'))).source.delimiter).toBe("|");
  });

  it("defaults to a comma for a single column and takes tabs from a .tsv name", async () => {
    expect((await read(utf8("a@x.com\nb@x.com\n"))).source.delimiter).toBe(",");
    const { source, rows } = await read(utf8("a@x.com,x\tLi\n"), { filename: "list.TSV" });
    expect(source.delimiter).toBe("\t");
    expect(rows[0]?.fields).toEqual(["a@x.com,x", "Li"]);
  });

  it("uses a given delimiter and refuses an unusable one", async () => {
    expect((await read(utf8("a@x.com;b,c\n"), { delimiter: "," })).rows[0]?.fields).toEqual(["a@x.com;b", "c"]);
    await expect(openTable(inChunks(utf8("a\n"), 1), { delimiter: '"' })).rejects.toBeInstanceOf(TableFormatError);
  });
});

describe("CSV records", () => {
  it("keeps quoted commas, quotes and newlines and reports the line each record starts on", async () => {
    const csv = 'email,note\na@x.com,"Hello, world"\nb@x.com,"She said ""hi"""\nc@x.com,"two\nlines\r\nhere"\nd@x.com,plain\n';
    const { rows } = await read(utf8(csv));
    expect(fieldsOf(rows)).toEqual([
      ["email", "note"],
      ["a@x.com", "Hello, world"],
      ["b@x.com", 'She said "hi"'],
      ["c@x.com", "two\nlines\r\nhere"],
      ["d@x.com", "plain"],
    ]);
    expect(linesOf(rows)).toEqual([1, 2, 3, 4, 7]);
  });

  it("handles CRLF, lone CR and a last record without a newline", async () => {
    expect(fieldsOf((await read(utf8("a,b\r\nc,d\r\n"))).rows)).toEqual([["a", "b"], ["c", "d"]]);
    const { rows } = await read(utf8("a,b\rc,d\re,f"));
    expect(fieldsOf(rows)).toEqual([["a", "b"], ["c", "d"], ["e", "f"]]);
    expect(linesOf(rows)).toEqual([1, 2, 3]);
  });

  it("skips blank and whitespace-only lines but counts them", async () => {
    const { rows } = await read(utf8("\n\nemail\r\n\r\n   \na@x.com\n,,\n \t \nb@x.com"));
    expect(rows).toEqual([
      { line: 3, fields: ["email"] },
      { line: 6, fields: ["a@x.com"] },
      { line: 9, fields: ["b@x.com"] },
    ]);
  });

  it("keeps empty fields and trims nothing", async () => {
    const { rows } = await read(utf8(" a@x.com ,,c,\n"));
    expect(rows[0]?.fields).toEqual([" a@x.com ", "", "c", ""]);
  });

  it("keeps stray quotes in unquoted fields and text after a closing quote", async () => {
    const { rows } = await read(utf8('a@x.com,O"Brien,5" disk\nb@x.com,"Li"Wei,x\n'));
    expect(fieldsOf(rows)).toEqual([["a@x.com", 'O"Brien', '5" disk'], ["b@x.com", "LiWei", "x"]]);
  });

  it("gives the same rows fed one byte at a time as fed whole", async () => {
    const csv = bytes(
      [0xef, 0xbb, 0xbf],
      'email;name;note\r\n"a@x.com";"Zoë ""Z"" 张伟";"x;\r\ny"\r\n\r\nb@x.com;王芳;""\rc@x.com;"";"end"',
    );
    const whole = await read(csv);
    const byByte = await read(csv, undefined, 1);
    expect(byByte.rows).toEqual(whole.rows);
    expect(whole.source.delimiter).toBe(";");
    expect(linesOf(whole.rows)).toEqual([1, 2, 5, 6]);
    expect(whole.rows[1]?.fields).toEqual(["a@x.com", 'Zoë "Z" 张伟', "x;\r\ny"]);

    const gb = bytes("email,name\n", "a@x.com,", GB.张伟, "\n", "b@x.com,", GB.王芳);
    expect((await read(gb, undefined, 1)).rows).toEqual((await read(gb)).rows);
  });

  it("refuses a field longer than 1 MiB and an unclosed quote, naming the line", async () => {
    const runaway = utf8(`a@x.com,ok\nb@x.com,"never closed${"x".repeat(1024 * 1024)}\n`);
    await expect(read(runaway, undefined, 65536)).rejects.toThrow(/^Line 2: a field is longer than 1 MiB/);
    const unclosed = read(utf8('a@x.com\nb@x.com,"open\nc@x.com\n'));
    await expect(unclosed).rejects.toThrow(TableFormatError);
    await expect(read(utf8('a@x.com\nb@x.com,"open\nc@x.com\n'))).rejects.toMatchObject({ line: 2 });
  });

  it("passes on an error of the input stream", async () => {
    async function* failing() {
      yield utf8("email\n" + "a@x.com\n".repeat(10_000));
      throw new Error("connection reset");
    }
    const source = await openTable(failing());
    await expect(collect(source)).rejects.toThrow("connection reset");
  });

  it("stops pulling the input when the consumer stops early", async () => {
    let closed = false;
    async function* endless(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) yield utf8("a@x.com,b\n".repeat(1000));
      } finally {
        closed = true;
      }
    }
    const source = await openTable(endless());
    for await (const row of source.rows) if (row.line === 5000) break;
    expect(closed).toBe(true);
  });

  it("reads a web ReadableStream and counts the bytes read", async () => {
    const data = utf8("email\na@x.com\nb@x.com\n");
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(data.slice(0, 7));
        controller.enqueue(data.slice(7));
        controller.close();
      },
    });
    const source = await openTable(stream, { filename: "list.csv" });
    expect((await collect(source)).length).toBe(3);
    expect(source.bytesRead()).toBe(data.length);
  });

  it("streams 200,000 rows without holding them", async () => {
    const total = 200_000;
    let produced = 0;
    async function* generate(): AsyncGenerator<Uint8Array> {
      let batch = "email,name,department,phone,note\n";
      for (let i = 1; i <= total; i++) {
        batch += `user${i}@example.com,Name ${i},Department ${i % 50},+86 138 ${String(i).padStart(8, "0")},"note, ${i}"\n`;
        if (batch.length > 64 * 1024) {
          produced += batch.length;
          yield utf8(batch);
          batch = "";
        }
      }
      produced += batch.length;
      yield utf8(batch);
    }
    const source = await openTable(generate(), { filename: "big.csv" });
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    let count = 0;
    for await (const row of source.rows) {
      count++;
      if (count % 10_000 === 0) {
        peak = Math.max(peak, process.memoryUsage().heapUsed);
        // Rows are produced as the input arrives, never after the whole file has been read.
        expect(produced).toBeLessThan(2_000_000 + count * 200);
        expect(row.fields[0]).toBe(`user${count - 1}@example.com`);
        expect(row.line).toBe(count);
      }
    }
    expect(count).toBe(total + 1);
    expect(source.bytesRead()).toBe(produced);
    expect(peak - baseline).toBeLessThan(50 * 1024 * 1024);
  });
});

describe("format", () => {
  it("sniffs XLSX by content and refuses what only claims to be XLSX", async () => {
    await expect(openTable(inChunks(utf8("a@x.com\n"), 8), { filename: "list.xlsx" })).rejects.toThrow(
      "The file is not a valid XLSX workbook",
    );
    const ole2 = Uint8Array.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0]);
    await expect(openTable(inChunks(ole2, 8), { filename: "list.xls" })).rejects.toThrow(/\.xls/);
  });

  it("refuses a damaged workbook with a clear error", async () => {
    const garbage = bytes([0x50, 0x4b, 0x03, 0x04], [...new Uint8Array(3000).fill(7)]);
    const source = await openTable(inChunks(garbage, 512));
    expect(source.format).toBe("xlsx");
    await expect(collect(source)).rejects.toThrow(/not a valid XLSX workbook/);

    const whole = await workbookBytes((sheet) => sheet.addRow(["a@x.com"]));
    const truncated = await openTable(inChunks(whole.slice(0, Math.floor(whole.length / 2)), 1024));
    await expect(collect(truncated)).rejects.toThrow(TableFormatError);
  });
});

async function workbookBytes(fill: (sheet: ExcelJS.Worksheet, book: ExcelJS.Workbook) => void): Promise<Uint8Array> {
  const book = new ExcelJS.Workbook();
  fill(book.addWorksheet("Contacts"), book);
  return new Uint8Array(await book.xlsx.writeBuffer());
}

describe("XLSX", () => {
  it("reads the first sheet's cells as text, aligned with their columns", async () => {
    const data = await workbookBytes((sheet, book) => {
      sheet.addRow(["email", "name", "age", "joined", "note"]);
      sheet.getCell("A2").value = "zhang@example.cn";
      sheet.getCell("B2").value = "张伟";
      sheet.getCell("C2").value = 42;
      sheet.getCell("D2").value = new Date(Date.UTC(2024, 0, 2));
      sheet.getCell("A3").value = "wang@example.cn";
      sheet.getCell("D3").value = new Date(Date.UTC(2024, 0, 2, 10, 30));
      sheet.getCell("E3").value = { richText: [{ text: "王" }, { text: "芳", font: { bold: true } }] };
      sheet.getCell("A6").value = { text: "link@example.com", hyperlink: "mailto:link@example.com" };
      sheet.getCell("B6").value = { formula: "1+1", result: 2 };
      sheet.getCell("C6").value = 13800138000;
      sheet.getCell("D6").value = true;
      sheet.getCell("A8").value = "张伟";
      book.addWorksheet("Other").addRow(["not@read.com"]);
    });
    expect(new TextDecoder().decode(data).includes("xl/sharedStrings.xml")).toBe(true);
    const { source, rows } = await read(data, { filename: "contacts.xlsx" }, 1000);
    expect(source).toMatchObject({ format: "xlsx", encoding: null, delimiter: null });
    expect(rows).toEqual([
      { line: 1, fields: ["email", "name", "age", "joined", "note"] },
      { line: 2, fields: ["zhang@example.cn", "张伟", "42", "2024-01-02"] },
      { line: 3, fields: ["wang@example.cn", "", "", "2024-01-02T10:30:00.000Z", "王芳"] },
      { line: 6, fields: ["link@example.com", "2", "13800138000", "TRUE"] },
      { line: 8, fields: ["张伟"] },
    ]);
    expect(source.bytesRead()).toBe(data.length);
  });

  it("skips rows whose cells are all empty and reads the first visible sheet", async () => {
    const data = await workbookBytes((sheet, book) => {
      sheet.state = "hidden";
      sheet.addRow(["hidden@x.com"]);
      const visible = book.addWorksheet("Visible");
      visible.getCell("A1").value = "first@x.com";
      visible.getCell("B2").value = "   ";
      visible.getCell("A3").value = "third@x.com";
    });
    const { rows } = await read(data, { filename: "book.xlsx" });
    expect(rows).toEqual([{ line: 1, fields: ["first@x.com"] }, { line: 3, fields: ["third@x.com"] }]);
  });

  it("can be abandoned after the first rows", async () => {
    const data = await workbookBytes((sheet) => {
      for (let i = 1; i <= 500; i++) sheet.addRow([`user${i}@example.com`]);
    });
    const source = await openTable(inChunks(data, 4096));
    const seen: ParsedRow[] = [];
    for await (const row of source.rows) {
      seen.push(row);
      if (seen.length === 3) break;
    }
    expect(linesOf(seen)).toEqual([1, 2, 3]);
  });

  it("passes on an error of the input stream instead of hanging", async () => {
    const data = await workbookBytes((sheet) => {
      for (let i = 0; i < 20_000; i++) sheet.addRow([`user${i}@example.com`, i]);
    });
    expect(data.length).toBeGreaterThan(100_000);
    async function* failing() {
      yield data.slice(0, 100_000);
      throw new Error("upload aborted");
    }
    const source = await openTable(failing(), { filename: "list.xlsx" });
    await expect(collect(source)).rejects.toThrow("upload aborted");
  });
});
