import type { ParsedRow } from "./parse";

/** Reads the first rows of a stream and hands back a stream that still starts with them. */
export async function peekRows(rows: AsyncIterable<ParsedRow>, count: number): Promise<{ head: ParsedRow[]; all: AsyncIterable<ParsedRow> }> {
  const iterator = rows[Symbol.asyncIterator]();
  const head: ParsedRow[] = [];
  let done = false;
  while (head.length < count) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(next.value);
  }
  async function* all() {
    yield* head;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head, all: all() };
}
