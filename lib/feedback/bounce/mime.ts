import { decodeBytes, decodeEncodedWords, decodeQuotedPrintable } from "./charset";

export type HeaderFields = Map<string, string[]>;

export type MimePart = {
  headers: HeaderFields;
  /** Lower-cased media type, "text/plain" when absent. */
  type: string;
  params: Record<string, string>;
  /** Body after content-transfer-encoding, in the part's charset. */
  text: string;
  children: MimePart[];
};

/** Bytes (the first `maxBytes` of them) as a string of one char per byte, so boundaries and blank lines can be found before any charset is known. */
export function toBinaryString(raw: Buffer | string, maxBytes = Infinity): string {
  return (typeof raw === "string" ? Buffer.from(raw, "utf8") : raw).subarray(0, maxBytes).toString("latin1");
}

/** MIME parts read from one message, nested ones included; a report has a handful. */
export const MAX_MIME_PARTS = 100;

export function parseMessage(binary: string, depth = 0, budget = { parts: MAX_MIME_PARTS }): MimePart {
  budget.parts--;
  const { head, body } = splitHeadBody(binary);
  const headers = parseHeaderBlock(head);
  const { type, params } = parseContentType(headerValue(headers, "content-type"));
  const part: MimePart = { headers, type, params, text: "", children: [] };
  const opensParts = depth <= 8 && budget.parts > 0;
  if (opensParts && type.startsWith("multipart/") && params.boundary) {
    for (const child of splitMultipart(body, params.boundary, budget.parts)) {
      if (budget.parts <= 0) break;
      part.children.push(parseMessage(child, depth + 1, budget));
    }
    if (part.children.length > 0) return part;
  }
  const encoding = headerValue(headers, "content-transfer-encoding")?.trim().toLowerCase();
  if (opensParts && (type === "message/rfc822" || type === "message/global")) {
    // The enclosed message is read as the part's child; the part has no text of its own.
    const enclosed = encoding === "base64" || encoding === "quoted-printable" ? Buffer.from(decodeTransfer(body, encoding)).toString("latin1") : body;
    part.children = [parseMessage(enclosed.replace(/^\s+/, ""), depth + 1, budget)];
    return part;
  }
  part.text = decodeBytes(decodeTransfer(body, encoding), params.charset);
  return part;
}

export function headerValue(headers: HeaderFields, name: string): string | undefined {
  return headers.get(name.toLowerCase())?.[0];
}

export function splitHeadBody(binary: string): { head: string; body: string } {
  if (/^\r?\n/.test(binary)) return { head: "", body: binary.replace(/^\r?\n/, "") };
  const match = /\r?\n\r?\n/.exec(binary);
  if (!match) return { head: binary, body: "" };
  return { head: binary.slice(0, match.index), body: binary.slice(match.index + match[0].length) };
}

/** Header fields of a block of raw bytes (RFC 5322 folding undone, RFC 2047 words and raw 8-bit text decoded). */
export function parseHeaderBlock(block: string): HeaderFields {
  return parseFields(block, (value) => decodeEncodedWords(decodeBytes(Buffer.from(value, "latin1"))));
}

/**
 * Caps on what the header parser reads, so that a hostile message costs bounded work whatever its
 * size: a header block (or one group of report fields) is read up to 256 KiB, at most 1,000 fields
 * are kept, and a field's value (folded lines included) is cut at 16 KiB. Real headers are a few
 * KiB; a To or Cc of 16 KiB still names hundreds of addresses.
 */
export const MAX_HEADER_BLOCK_CHARS = 256 * 1024;
export const MAX_HEADER_FIELDS = 1000;
export const MAX_FIELD_CHARS = 16 * 1024;

/** Fields of already decoded text, such as one group of a message/delivery-status part. */
export function parseFields(block: string, decode: (value: string) => string = (value) => value): HeaderFields {
  const fields: [string, string][] = [];
  for (const line of block.slice(0, MAX_HEADER_BLOCK_CHARS).split(/\r?\n/)) {
    const match = /^([!-9;-~]+):[ \t]*(.*)$/.exec(line);
    const last = fields[fields.length - 1];
    // Folded lines, and the unindented continuations some mailers write, belong to the field before them.
    if (match) {
      if (fields.length === MAX_HEADER_FIELDS) break;
      fields.push([match[1]!.toLowerCase(), match[2]!.slice(0, MAX_FIELD_CHARS)]);
    } else if (last && last[1].length < MAX_FIELD_CHARS && line.trim() !== "") {
      last[1] = `${last[1]} ${line.trim()}`.slice(0, MAX_FIELD_CHARS);
    }
  }
  const headers: HeaderFields = new Map();
  for (const [name, value] of fields) {
    const values = headers.get(name);
    if (values) values.push(decode(value).trim());
    else headers.set(name, [decode(value).trim()]);
  }
  return headers;
}

function parseContentType(value: string | undefined): { type: string; params: Record<string, string> } {
  const text = value ?? "text/plain";
  const type = /^\s*([\w.+-]+\/[\w.+-]+)/.exec(text)?.[1]?.toLowerCase() ?? "text/plain";
  const params: Record<string, string> = {};
  // Parameters without their ";" (seen in the wild) are still parameters. A name starts only where
  // a run of name characters starts, so a long run without "=" is read once, not once per character.
  for (const match of text.slice(text.indexOf(type.split("/")[1]!) + type.split("/")[1]!.length).matchAll(/(?<![\w*-])([\w*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]+)/g)) {
    params[match[1]!.toLowerCase()] = match[2]!.replace(/^"|"$/g, "");
  }
  return { type, params };
}

function decodeTransfer(body: string, name: string | undefined): Uint8Array {
  if (name === "base64") return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ""), "base64");
  if (name === "quoted-printable") return decodeQuotedPrintable(body);
  return Buffer.from(body, "latin1");
}

/** The bodies of the first `maxParts` parts between the boundary lines. */
function splitMultipart(body: string, boundary: string, maxParts: number): string[] {
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  let current: string[] | null = null;
  for (const line of body.split(/\n/)) {
    const trimmed = line.replace(/\r$/, "").trimEnd();
    if (trimmed === delimiter || trimmed === `${delimiter}--`) {
      if (current) parts.push(current.join("\n"));
      current = trimmed === delimiter && parts.length < maxParts ? [] : null;
      if (!current) break;
    } else if (current) {
      current.push(line);
    }
  }
  if (current && current.length > 0) parts.push(current.join("\n"));
  return parts;
}
