/**
 * Bytes in: adapting the caller's input, peeking at its start, and turning text bytes into
 * strings without ever holding more than a bounded window of the file.
 */
import { AppError } from "@/lib/errors";
import { describeReason } from "@/lib/i18n/describe";
import { reasonsEn, type ReasonParams } from "@/lib/i18n/reasons-en";

export type TableProblem = Extract<keyof typeof reasonsEn.messages, `table${string}`>;

export type TextEncodingName = "utf-8" | "utf-16le" | "utf-16be" | "gb18030";

/** How much of the file (or of the first non-ASCII stretch) decides the encoding. */
export const SNIFF_BYTES = 64 * 1024;

/** Refusals the console words itself, beyond the reason (kept for API callers that read details.reason). */
export type TableFormatReason = "binary_file";

/**
 * A file that is not a readable table. It carries a reason of the catalogues (lib/i18n/reasons-*.ts)
 * and its values, so the console words it in the reader's language; `message` is the English.
 */
export class TableFormatError extends Error {
  /** 1-based line (or sheet row) the problem was found at, when there is one. */
  readonly line: number | undefined;
  readonly kind: TableFormatReason | undefined;
  readonly reason: TableProblem;
  readonly params: ReasonParams;

  constructor(reason: TableProblem, options?: { params?: ReasonParams; line?: number; cause?: unknown; kind?: TableFormatReason }) {
    const params = { ...options?.params, ...(options?.line !== undefined ? { line: options.line } : {}) };
    super(describeReason(reasonsEn, reason, params), options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TableFormatError";
    this.reason = reason;
    this.params = params;
    this.line = options?.line;
    this.kind = options?.kind;
  }

  /** What an AppError carries for the caller: the kind and line, when known. */
  get details(): { reason: TableFormatReason; line?: number } | undefined {
    if (!this.kind) return undefined;
    return this.line === undefined ? { reason: this.kind } : { reason: this.kind, line: this.line };
  }

  /** The same refusal as a 400 for the caller. */
  toAppError(): AppError {
    return new AppError("invalid_input", this.reason, { params: this.params, ...(this.details ? { details: this.details } : {}) });
  }
}

export type ByteInput = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

export async function* toByteChunks(input: ByteInput): AsyncGenerator<Uint8Array> {
  if (!("getReader" in input)) {
    yield* input;
    return;
  }
  const reader = input.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      yield value;
    }
  } finally {
    // The consumer stopped early (or failed): tell the producer so it can release the upload.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

export async function* countBytes(chunks: AsyncIterable<Uint8Array>, onBytes: (n: number) => void) {
  for await (const chunk of chunks) {
    onBytes(chunk.byteLength);
    yield chunk;
  }
}

export type Peeked<T> = {
  /** What was read ahead; `rest` replays it first. */
  buffered: T[];
  /** True when the read-ahead is the whole source. */
  ended: boolean;
  /** The whole stream again, from its first item. Iterate at most once. */
  rest: AsyncGenerator<T>;
  /** Releases the underlying source when `rest` will never be iterated. */
  close: () => Promise<void>;
};

/** Reads ahead until `limit` (as measured by `size`) is reached or the source ends, losing nothing. */
export async function peek<T>(source: AsyncIterable<T>, size: (item: T) => number, limit: number): Promise<Peeked<T>> {
  const iterator = source[Symbol.asyncIterator]();
  const close = async () => {
    await iterator.return?.();
  };
  const buffered: T[] = [];
  let total = 0;
  let ended = false;
  try {
    while (total < limit) {
      const next = await iterator.next();
      if (next.done) {
        ended = true;
        break;
      }
      buffered.push(next.value);
      total += size(next.value);
    }
  } catch (error) {
    await close();
    throw error;
  }
  const queue: (T | undefined)[] = [...buffered];
  async function* replay(): AsyncGenerator<T> {
    try {
      // Hand the read-ahead over item by item so it can be collected as the consumer moves on.
      for (let i = 0; i < queue.length; i++) {
        const item = queue[i] as T;
        queue[i] = undefined;
        yield item;
      }
      if (ended) return;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await close();
    }
  }
  return { buffered, ended, rest: replay(), close };
}

export function concatBytes(chunks: Uint8Array[], limit = Infinity): Uint8Array {
  const total = Math.min(
    limit,
    chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0),
  );
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    if (offset >= total) break;
    const part = chunk.subarray(0, total - offset);
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

export function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.length <= bytes.length && prefix.every((byte, i) => bytes[i] === byte);
}

export type EncodingGuess = {
  encoding: TextEncodingName;
  /** false while everything seen is ASCII, which reads the same in UTF-8 and GB18030. */
  settled: boolean;
};

export function detectEncoding(head: Uint8Array): EncodingGuess {
  if (startsWith(head, [0xef, 0xbb, 0xbf])) return { encoding: "utf-8", settled: true };
  if (startsWith(head, [0xff, 0xfe])) return { encoding: "utf-16le", settled: true };
  if (startsWith(head, [0xfe, 0xff])) return { encoding: "utf-16be", settled: true };
  const firstNonAscii = indexOfNonAscii(head);
  if (firstNonAscii === -1) return { encoding: "utf-8", settled: false };
  return { encoding: judgeNonAsciiWindow(head.subarray(firstNonAscii)), settled: true };
}

/** UTF-8 if the window decodes cleanly (a sequence cut off at the window's end is fine), else GB18030. */
export function judgeNonAsciiWindow(window: Uint8Array): TextEncodingName {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(window, { stream: true });
    return "utf-8";
  } catch {
    return "gb18030";
  }
}

function indexOfNonAscii(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] as number) > 0x7f) return i;
  return -1;
}

const asciiDecoder = new TextDecoder("utf-8");

/**
 * Decodes incrementally. When the sniffed start was pure ASCII the choice is revisited at the
 * first non-ASCII byte (looking at up to SNIFF_BYTES from there): lists often start with
 * Latin-only rows and reach Chinese names only later, and a late GBK name must not become U+FFFD.
 * Switching is safe because everything before that byte was ASCII in either encoding.
 */
export async function* decodeText(
  chunks: AsyncIterable<Uint8Array>,
  guess: EncodingGuess,
  onSettled: (encoding: TextEncodingName) => void = () => undefined,
): AsyncGenerator<string> {
  let decoder = guess.settled ? new TextDecoder(guess.encoding, { fatal: false }) : null;
  let window: Uint8Array[] = [];
  let windowSize = 0;
  const settle = () => {
    const joined = concatBytes(window);
    const encoding = judgeNonAsciiWindow(joined);
    onSettled(encoding);
    window = [];
    const chosen = new TextDecoder(encoding, { fatal: false });
    decoder = chosen;
    return chosen.decode(joined, { stream: true });
  };

  for await (const chunk of chunks) {
    if (decoder) {
      const text = decoder.decode(chunk, { stream: true });
      if (text) yield text;
      continue;
    }
    let rest = chunk;
    if (windowSize === 0) {
      const at = indexOfNonAscii(chunk);
      if (at === -1) {
        if (chunk.byteLength > 0) yield asciiDecoder.decode(chunk);
        continue;
      }
      if (at > 0) yield asciiDecoder.decode(chunk.subarray(0, at));
      rest = chunk.subarray(at);
    }
    window.push(rest);
    windowSize += rest.byteLength;
    if (windowSize >= SNIFF_BYTES) {
      const text = settle();
      if (text) yield text;
    }
  }
  if (!decoder && windowSize > 0) {
    const text = settle();
    if (text) yield text;
  }
  const tail = (decoder as TextDecoder | null)?.decode() ?? "";
  if (tail) yield tail;
}
