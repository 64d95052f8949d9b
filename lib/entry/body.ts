import "server-only";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { validationAppError } from "./validation";

/** JSON bodies of the API and the console's route handlers, unless a route says otherwise. */
export const DEFAULT_JSON_BYTES = 5 * 1024 * 1024;

function tooLarge(maxBytes: number): AppError {
  return new AppError("payload_too_large", "bodyTooLarge", { params: { max: maxBytes }, details: { maxBytes } });
}

/**
 * A request body as chunks, counted as they arrive: past `maxBytes` the stream is cancelled (so
 * nothing more is pulled from the client) and 413 `payload_too_large` is thrown. Content-Length is
 * only a shortcut for refusing early; a chunked body has none and a client may lie, so the count
 * is what holds.
 */
export async function* boundedChunks(request: Request, maxBytes: number): AsyncGenerator<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return;
  const reader = request.body.getReader();
  let total = 0;
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      total += next.value.byteLength;
      if (total > maxBytes) throw tooLarge(maxBytes);
      yield next.value;
    }
  } finally {
    // Stopped early (too large, or the consumer gave up): tell the source to stop sending.
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** The whole body, at most `maxBytes` of it (413 past that). */
export async function readBodyBytes(request: Request, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of boundedChunks(request, maxBytes)) {
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

export async function readBodyText(request: Request, maxBytes: number): Promise<string> {
  return new TextDecoder().decode(await readBodyBytes(request, maxBytes));
}

/** A JSON body parsed by its schema: 413 past `maxBytes`, 400 when it is not JSON or not the shape. */
export async function readJson<S extends z.ZodType>(request: Request, schema: S, maxBytes = DEFAULT_JSON_BYTES): Promise<z.output<S>> {
  let body: unknown;
  const text = await readBodyText(request, maxBytes);
  try {
    body = JSON.parse(text);
  } catch {
    throw new AppError("invalid_input", "bodyNotJson");
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw validationAppError(parsed.error, body);
  return parsed.data;
}

const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];
const UTF16LE_BOM = [0xff, 0xfe];
const UTF16BE_BOM = [0xfe, 0xff];

/**
 * An uploaded table as chunks: bounded like any body, and refused with 400 when it is neither an
 * XLSX workbook (a zip) nor text. A NUL byte never occurs in UTF-8 or GB18030, and UTF-16 is read only
 * after its byte-order mark, so otherwise one means an image, an executable or a UTF-16 export without
 * its mark, and saying so beats importing garbage rows.
 */
export async function* tableUploadChunks(request: Request, maxBytes: number): AsyncGenerator<Uint8Array> {
  let first = true;
  let zipOrUtf16 = false;
  for await (const chunk of boundedChunks(request, maxBytes)) {
    if (first && chunk.byteLength > 0) {
      // UTF-16 (with its byte-order mark, as Excel's "Unicode text" writes it) has a NUL in every ASCII character.
      zipOrUtf16 = [ZIP_SIGNATURE, UTF16LE_BOM, UTF16BE_BOM].some((signature) => signature.every((byte, index) => chunk[index] === byte));
      first = false;
    }
    if (!zipOrUtf16 && chunk.includes(0)) {
      throw new AppError("invalid_input", "notText", { details: { reason: "binary_file" } });
    }
    yield chunk;
  }
}
