/**
 * Delimited text (CSV, TSV, semicolon lists): delimiter detection and a streaming RFC 4180
 * reader that is lenient where real exports are sloppy.
 */
import { TableFormatError } from "./decode";
import type { ParsedRow } from "./index";

export const DELIMITER_CANDIDATES = [",", ";", "\t", "|"] as const;
export const MAX_FIELD_CHARS = 1024 * 1024;
/** Bounds one record as a whole too, so a million empty fields cannot exhaust memory either. */
const MAX_RECORD_CHARS = 8 * MAX_FIELD_CHARS;
const SAMPLE_RECORDS = 20;

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

/**
 * Picks the candidate that occurs (outside quotes) the same non-zero number of times on the
 * most sample records; ties go to the higher count, then to the candidate order. Default ",".
 */
export function detectDelimiter(sample: string, complete: boolean): string {
  const records = sampleRecordCounts(sample, complete);
  let best: { delimiter: string; agreeing: number; count: number } | null = null;
  DELIMITER_CANDIDATES.forEach((delimiter, index) => {
    const frequency = new Map<number, number>();
    for (const counts of records) {
      const count = counts[index] as number;
      if (count > 0) frequency.set(count, (frequency.get(count) ?? 0) + 1);
    }
    for (const [count, agreeing] of frequency) {
      if (!best || agreeing > best.agreeing || (agreeing === best.agreeing && count > best.count)) {
        best = { delimiter, agreeing, count };
      }
    }
  });
  return (best as { delimiter: string } | null)?.delimiter ?? ",";
}

/** Per record, how often each candidate occurs outside quotes; blank records are left out. */
function sampleRecordCounts(sample: string, complete: boolean): number[][] {
  const records: number[][] = [];
  let counts = DELIMITER_CANDIDATES.map(() => 0);
  let content = false;
  let inQuotes = false;
  let closedAll = true;
  for (let i = 0; i < sample.length && records.length < SAMPLE_RECORDS; i++) {
    const c = sample[i] as string;
    closedAll = false;
    if (c === '"') {
      inQuotes = !inQuotes;
      content = true;
    } else if (!inQuotes && (c === "\n" || c === "\r")) {
      if (content) records.push(counts);
      counts = DELIMITER_CANDIDATES.map(() => 0);
      content = false;
      closedAll = true;
    } else if (!inQuotes) {
      const index = (DELIMITER_CANDIDATES as readonly string[]).indexOf(c);
      if (index >= 0) counts[index] = (counts[index] as number) + 1;
      if (c.trim() !== "" || index >= 0) content = true;
    }
  }
  // A record cut off by the sample's end would count too few delimiters.
  if (complete && !closedAll && content && records.length < SAMPLE_RECORDS) records.push(counts);
  return records;
}

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;

/** Push-style parser: feed decoded text in chunks of any size, collect finished records. */
export class DelimitedParser {
  private readonly delimiter: number;
  private state = FIELD_START;
  private line = 1;
  private afterCR = false;
  private fields: string[] = [];
  private field = "";
  private recordLine = 0;
  private fieldLine = 1;
  private recordChars = 0;

  constructor(delimiter: string) {
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === "\r" || delimiter === "\n") {
      throw new TableFormatError("tableBadDelimiter", { params: { delimiter: JSON.stringify(delimiter) } });
    }
    this.delimiter = delimiter.charCodeAt(0);
  }

  *push(text: string): Generator<ParsedRow> {
    const n = text.length;
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (this.afterCR) {
        this.afterCR = false;
        if (c === LF) {
          // The LF of a CRLF: the line was already counted at the CR.
          if (this.state === QUOTED) this.append("\n");
          i++;
          continue;
        }
      }
      if (this.state === FIELD_START) {
        if (c === CR || c === LF) {
          const row = this.endRecord();
          this.lineBreak(c);
          i++;
          if (row) yield row;
          continue;
        }
        if (this.recordLine === 0) this.recordLine = this.line;
        this.fieldLine = this.line;
        if (c === QUOTE) {
          this.state = QUOTED;
          i++;
        } else if (c === this.delimiter) {
          this.endField();
          i++;
        } else {
          this.state = UNQUOTED;
        }
        continue;
      }
      if (this.state === QUOTE_IN_QUOTED) {
        if (c === QUOTE) {
          this.append('"');
          this.state = QUOTED;
          i++;
        } else if (c === this.delimiter) {
          this.endField();
          i++;
        } else if (c === CR || c === LF) {
          const row = this.endRecord();
          this.lineBreak(c);
          i++;
          if (row) yield row;
        } else {
          // Text after a closing quote (`"abc"def`) is kept, as spreadsheet programs do.
          this.state = UNQUOTED;
        }
        continue;
      }

      const inQuotes = this.state === QUOTED;
      let j = i;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === CR || d === LF || (inQuotes ? d === QUOTE : d === this.delimiter)) break;
        j++;
      }
      if (j > i) this.append(text.slice(i, j));
      if (j === n) break;
      const stop = text.charCodeAt(j);
      i = j + 1;
      if (inQuotes) {
        if (stop === QUOTE) {
          this.state = QUOTE_IN_QUOTED;
        } else {
          this.append(stop === CR ? "\r" : "\n");
          this.lineBreak(stop);
        }
      } else if (stop === this.delimiter) {
        this.endField();
      } else {
        const row = this.endRecord();
        this.lineBreak(stop);
        if (row) yield row;
      }
    }
  }

  *finish(): Generator<ParsedRow> {
    if (this.state === QUOTED) {
      throw new TableFormatError("tableQuoteOpen", { line: this.fieldLine });
    }
    const row = this.endRecord();
    if (row) yield row;
  }

  private lineBreak(c: number): void {
    this.line++;
    if (c === CR) this.afterCR = true;
  }

  private append(text: string): void {
    this.field += text;
    this.recordChars += text.length;
    if (this.field.length > MAX_FIELD_CHARS) {
      throw new TableFormatError(this.state === QUOTED ? "tableFieldTooLongQuoted" : "tableFieldTooLong", { line: this.fieldLine });
    }
    this.checkRecordSize();
  }

  /** The refusal for a NUL byte met at the parser's current line. */
  binaryHere(): TableFormatError {
    return new TableFormatError("tableNulByte", { line: this.line, kind: "binary_file" });
  }

  private checkRecordSize(): void {
    if (this.recordChars > MAX_RECORD_CHARS) {
      throw new TableFormatError("tableRecordTooLong", { line: this.recordLine });
    }
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = "";
    this.state = FIELD_START;
    this.recordChars++;
    this.checkRecordSize();
  }

  /** Returns the finished record, or null for a line that holds nothing but whitespace and delimiters. */
  private endRecord(): ParsedRow | null {
    if (this.recordLine === 0) return null;
    this.endField();
    const row = { line: this.recordLine, fields: this.fields };
    this.fields = [];
    this.recordLine = 0;
    this.recordChars = 0;
    return row.fields.some((field) => field.trim() !== "") ? row : null;
  }
}

/** Checks the delimiter at once, so a bad one is reported when the table is opened, not mid-read. */
export function parseDelimited(text: AsyncIterable<string>, delimiter: string): AsyncGenerator<ParsedRow> {
  const parser = new DelimitedParser(delimiter);
  return (async function* () {
    for await (const chunk of text) {
      // A NUL never belongs in a text table, and the database cannot store one: the file is binary.
      const nul = chunk.indexOf("\0");
      if (nul === -1) {
        yield* parser.push(chunk);
        continue;
      }
      yield* parser.push(chunk.slice(0, nul));
      throw parser.binaryHere();
    }
    yield* parser.finish();
  })();
}
