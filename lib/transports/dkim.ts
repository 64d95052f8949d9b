import crypto from "node:crypto";
import { domainToASCII } from "node:url";
import mimeFuncs from "nodemailer/lib/mime-funcs";

/**
 * DKIM signatures (RFC 6376, rsa-sha256, relaxed/relaxed) over headers we wrote ourselves.
 *
 * nodemailer's signer reads the headers back from the finished message through its stream parser,
 * hashes the body through a stream and parses the PEM key for every message. The skeleton composer
 * (skeleton.ts) already holds each header as the line it wrote and the body as the segments it
 * joined, so this signs those directly: the key is parsed once, the body hash is taken once per
 * distinct body (the caller keeps it), and the work per message is the header canonicalisation
 * and one RSA signature. The signed fields are nodemailer's default list (RFC 6376 §5.4) plus
 * List-Unsubscribe-Post, which RFC 8058 requires the signature to cover.
 */

export type DkimKey = { domainName: string; keySelector: string; privateKey: string };

/** A header as written: its lower-case name and its complete, folded line without the final CRLF. */
export type HeaderLine = { key: string; line: string };

export const SIGNED_FIELDS = [
  "from", "sender", "reply-to", "subject", "date", "message-id", "to", "cc", "mime-version", "content-type", "content-transfer-encoding",
  "content-id", "content-description", "resent-date", "resent-from", "resent-sender", "resent-to", "resent-cc", "resent-message-id",
  "in-reply-to", "references", "list-id", "list-help", "list-unsubscribe", "list-unsubscribe-post", "list-subscribe", "list-post",
  "list-owner", "list-archive",
];

const keys = new Map<string, crypto.KeyObject>();

/** The private key parsed once per PEM (a few keys at most: one per sender domain in use). */
function keyObjectOf(pem: string): crypto.KeyObject {
  let key = keys.get(pem);
  if (!key) {
    if (keys.size >= 64) keys.clear();
    key = crypto.createPrivateKey(pem);
    keys.set(pem, key);
  }
  return key;
}

/** RFC 6376 §3.4.2: the value unfolded, runs of whitespace one space, trimmed. */
function relaxedValue(line: string): string {
  return line
    .slice(line.indexOf(":") + 1)
    .replace(/\r\n/g, "")
    .replace(/[ \t]+/g, " ")
    .trim();
}

/**
 * RFC 6376 §3.4.4 for text that ends at a line end or continues into the next segment: whitespace at
 * the end of each line removed, other runs of whitespace one space. The rule about empty lines at
 * the end of the body is the caller's (a multipart body ends with its closing boundary line).
 */
export function relaxedBodyLines(text: string): string {
  return text.replace(/[ \t]+(?=\r\n|$)/g, "").replace(/\t|[ \t]{2,}/g, " ");
}

/** The relaxed form of a whole body: lines as above, empty lines at the end removed, one CRLF after the last. */
export function relaxedBody(text: string): string {
  const lines = relaxedBodyLines(text).replace(/(\r\n)+$/, "");
  return lines === "" ? "" : `${lines}\r\n`;
}

/** base64 of SHA-256 over canonical body pieces, in order. */
export function bodyHashOf(pieces: readonly (string | Buffer)[]): string {
  const hash = crypto.createHash("sha256");
  for (const piece of pieces) hash.update(piece);
  return hash.digest("base64");
}

/**
 * The DKIM-Signature header line (folded, without the final CRLF) for these headers and body hash.
 * When a field occurs more than once, the last one is signed (RFC 6376 §5.4.2), as nodemailer does.
 */
export function dkimSignature(headers: readonly HeaderLine[], bodyHash: string, key: DkimKey): string {
  const byKey = new Map<string, string>();
  for (const header of headers) byKey.set(header.key, header.line);
  const fields: string[] = [];
  let canonical = "";
  for (const field of SIGNED_FIELDS) {
    const line = byKey.get(field);
    if (line === undefined) continue;
    fields.push(field);
    canonical += `${field}:${relaxedValue(line)}\r\n`;
  }
  const tags = ["v=1", "a=rsa-sha256", "c=relaxed/relaxed", `d=${domainToASCII(key.domainName) || key.domainName}`, "q=dns/txt", `s=${key.keySelector}`, `bh=${bodyHash}`, `h=${fields.join(":")}`].join("; ");
  const unsigned = `${mimeFuncs.foldLines(`DKIM-Signature: ${tags}`, 76)};\r\n b=`;
  canonical += `dkim-signature:${relaxedValue(unsigned)}`;
  const signature = crypto.sign("sha256", Buffer.from(canonical), keyObjectOf(key.privateKey)).toString("base64");
  return unsigned + signature.replace(/(^.{73}|.{75}(?!\r?\n|\r))/g, "$&\r\n ").trim();
}
