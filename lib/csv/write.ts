const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell, quoted when needed. A cell a spreadsheet would run as a formula
 * (starting with = + - @, tab or carriage return) is prefixed with an apostrophe (OWASP).
 */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? "" : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(cells: unknown[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}

/** A streamed CSV download: UTF-8 with a BOM so Excel reads Chinese correctly. */
export function csvResponse(lines: AsyncIterable<string>, fileName: string): Response {
  const encoder = new TextEncoder();
  const iterator = lines[Symbol.asyncIterator]();
  let started = false;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(new Uint8Array([0xef, 0xbb, 0xbf]));
      }
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  const asciiName = fileName.replace(/[^\w.-]+/g, "_");
  return new Response(stream, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${asciiName}"; filename*=UTF-8''${encodeURIComponent(fileName)}`,
      "cache-control": "no-store",
    },
  });
}
