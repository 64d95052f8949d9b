/**
 * Streaming table reader for address imports: CSV/TSV in any common encoding, or XLSX.
 * Nothing here holds the whole file; rows come out as they are read.
 */
import { detectDelimiter, parseDelimited } from "./csv";
import {
  type ByteInput,
  type EncodingGuess,
  type TextEncodingName,
  SNIFF_BYTES,
  TableFormatError,
  concatBytes,
  countBytes,
  decodeText,
  detectEncoding,
  peek,
  startsWith,
  toByteChunks,
} from "./decode";
import { readXlsxRows } from "./xlsx";

export { TableFormatError };

export type SourceFormat = "csv" | "tsv" | "xlsx";
/** line: 1-based physical line where the record STARTS in the file (for xlsx: the sheet row number). */
export type ParsedRow = { line: number; fields: string[] };
export type TableSource = {
  format: SourceFormat;
  /** null for xlsx. For text that is pure ASCII at first, this may change to gb18030 once later bytes show it. */
  encoding: TextEncodingName | null;
  delimiter: string | null;
  /** May be iterated once. */
  rows: AsyncIterable<ParsedRow>;
  /** Raw input bytes consumed so far (for progress bars). */
  bytesRead: () => number;
};
export type OpenTableOptions = {
  format?: SourceFormat;
  filename?: string;
  delimiter?: string;
  encoding?: TableSource["encoding"];
};

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
/** Files people pick by mistake that hold no NUL in their first bytes. */
const BINARY_MAGICS = [
  [0x89, 0x50, 0x4e, 0x47], // PNG
  [0xff, 0xd8, 0xff], // JPEG
  [0x47, 0x49, 0x46, 0x38], // GIF8
  [0x25, 0x50, 0x44, 0x46, 0x2d], // %PDF-
  [0x1f, 0x8b], // gzip
  [0x52, 0x61, 0x72, 0x21], // Rar!
  [0x37, 0x7a, 0xbc, 0xaf], // 7z
];
const OLE2_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
/** Decoded characters looked at to choose the delimiter. */
const DELIMITER_SAMPLE_CHARS = 64 * 1024;

export async function openTable(input: ByteInput, options: OpenTableOptions = {}): Promise<TableSource> {
  let consumed = 0;
  const bytesRead = () => consumed;
  const counted = countBytes(toByteChunks(input), (n) => {
    consumed += n;
  });
  const bytes = await peek(counted, (chunk) => chunk.byteLength, SNIFF_BYTES);
  try {
    const head = concatBytes(bytes.buffered, SNIFF_BYTES);
    const format = chooseFormat(head, options);
    if (format === "xlsx") {
      return { format, encoding: null, delimiter: null, rows: readXlsxRows(bytes.rest), bytesRead };
    }
    return await openDelimited(bytes.rest, head, format, options, bytesRead);
  } catch (error) {
    await bytes.close();
    throw error;
  }
}

function chooseFormat(head: Uint8Array, options: OpenTableOptions): SourceFormat {
  if (startsWith(head, OLE2_MAGIC)) {
    throw new TableFormatError("tableOldExcel");
  }
  const isZip = startsWith(head, ZIP_MAGIC);
  if (!isZip && isBinary(head)) {
    throw new TableFormatError("tableBinary", { kind: "binary_file" });
  }
  if (options.format) {
    if (options.format === "xlsx" && !isZip) throw new TableFormatError("tableNotXlsx");
    return options.format;
  }
  // The content wins over the name: a workbook renamed to .csv is still a workbook.
  if (isZip) return "xlsx";
  const extension = options.filename?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  if (extension === "xlsx") throw new TableFormatError("tableNotXlsx");
  return extension === "tsv" || extension === "tab" ? "tsv" : "csv";
}

/** A known non-table format, or a NUL byte in text that does not start with a UTF-16 byte-order mark. */
function isBinary(head: Uint8Array): boolean {
  if (BINARY_MAGICS.some((magic) => startsWith(head, magic))) return true;
  if (startsWith(head, [0xff, 0xfe]) || startsWith(head, [0xfe, 0xff])) return false;
  return head.includes(0);
}

async function openDelimited(
  chunks: AsyncGenerator<Uint8Array>,
  head: Uint8Array,
  format: "csv" | "tsv",
  options: OpenTableOptions,
  bytesRead: () => number,
): Promise<TableSource> {
  const guess: EncodingGuess = options.encoding ? { encoding: options.encoding, settled: true } : detectEncoding(head);
  let encoding = guess.encoding;
  const text = decodeText(chunks, guess, (settled) => {
    encoding = settled;
  });

  let delimiter = options.delimiter ?? (format === "tsv" ? "\t" : undefined);
  let textChunks: AsyncIterable<string> = text;
  if (delimiter === undefined) {
    const sample = await peek(text, (chunk) => chunk.length, DELIMITER_SAMPLE_CHARS);
    delimiter = detectDelimiter(sample.buffered.join(""), sample.ended);
    textChunks = sample.rest;
  }
  const rows = parseDelimited(textChunks, delimiter);
  return {
    format: delimiter === "\t" ? "tsv" : "csv",
    get encoding() {
      return encoding;
    },
    delimiter,
    rows,
    bytesRead,
  };
}
