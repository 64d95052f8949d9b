/** The few pieces of the Postgres wire protocol (v3) the embedded socket server needs to read and write. */

export const PROTOCOL_V3 = 196608;
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;
/** Postgres refuses a message longer than its largest allocation (1 GiB) too. */
export const MAX_MESSAGE_BYTES = 0x3fffffff;

export type Framed =
  | { kind: "incomplete" }
  | { kind: "invalid"; reason: string }
  | { kind: "startup" | "ssl" | "cancel" | "message"; bytes: Buffer; type: string };

/**
 * The next whole frontend message at the start of `buffer`. Before the startup message a
 * message has no type byte (length, then a request code); after it, a type byte and a length.
 */
export function nextMessage(buffer: Buffer, started: boolean): Framed {
  if (!started) {
    if (buffer.length < 8) return { kind: "incomplete" };
    const length = buffer.readInt32BE(0);
    if (length < 8 || length > 10_000) return { kind: "invalid", reason: "malformed startup packet" };
    if (buffer.length < length) return { kind: "incomplete" };
    const bytes = buffer.subarray(0, length);
    const code = buffer.readInt32BE(4);
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) return { kind: "ssl", bytes, type: "" };
    if (code === CANCEL_REQUEST) return { kind: "cancel", bytes, type: "" };
    if (code === PROTOCOL_V3) return { kind: "startup", bytes, type: "" };
    return { kind: "invalid", reason: "unsupported frontend protocol" };
  }
  if (buffer.length < 5) return { kind: "incomplete" };
  const length = buffer.readInt32BE(1);
  if (length < 4 || length > MAX_MESSAGE_BYTES) return { kind: "invalid", reason: "invalid message length" };
  if (buffer.length < length + 1) return { kind: "incomplete" };
  return { kind: "message", bytes: buffer.subarray(0, length + 1), type: String.fromCharCode(buffer[0]!) };
}

/** A frontend message: type byte, then a length that counts itself and the body. */
export function frontendMessage(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, "latin1");
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
}

export const simpleQuery = (text: string) => frontendMessage("Q", Buffer.from(`${text}\0`));
export const SYNC = frontendMessage("S");

/** A FATAL ErrorResponse, which node-postgres and libpq show as the connection's error. */
export function fatalError(sqlState: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${sqlState}\0M${message}\0\0`);
  return Buffer.concat([Buffer.from("E"), int32(4 + fields.length), fields]);
}

function int32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(value);
  return bytes;
}

/**
 * Follows the backend's messages across the chunks PGlite writes them in, and keeps the
 * status byte of the last ReadyForQuery: 'I' idle, 'T' in a transaction, 'E' in a failed one.
 */
export class ReadyForQueryWatcher {
  #header = Buffer.alloc(5);
  #headerBytes = 0;
  #bodyLeft = 0;
  #type = 0;
  /** The status of the last ReadyForQuery since `reset()`, or null when none came. */
  status: "I" | "T" | "E" | null = null;

  reset() {
    this.status = null;
  }

  feed(bytes: Uint8Array) {
    let at = 0;
    while (at < bytes.length) {
      if (this.#bodyLeft > 0) {
        if (this.#type === 0x5a) this.status = String.fromCharCode(bytes[at]!) as "I" | "T" | "E";
        const skipped = Math.min(this.#bodyLeft, bytes.length - at);
        this.#bodyLeft -= skipped;
        at += skipped;
        continue;
      }
      this.#header[this.#headerBytes++] = bytes[at++]!;
      if (this.#headerBytes === 5) {
        this.#type = this.#header[0]!;
        this.#bodyLeft = this.#header.readInt32BE(1) - 4;
        this.#headerBytes = 0;
      }
    }
  }
}
