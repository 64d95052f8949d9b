import crypto from "node:crypto";
import base64 from "nodemailer/lib/base64";
import mimeFuncs from "nodemailer/lib/mime-funcs";
import MimeNode from "nodemailer/lib/mime-node";
import qp from "nodemailer/lib/qp";
import { bodyHashOf, dkimSignature, relaxedBody, relaxedBodyLines, type DkimKey, type HeaderLine } from "./dkim";
import type { OutgoingMessage } from "./types";

/**
 * The send path's composer: each distinct sender, Reply-To, attachment set and DKIM key (in
 * practice: a task's template version) is turned into a skeleton once — the From and Reply-To
 * lines, the boundaries and the multipart structure, every attachment's part already encoded in
 * base64 and its canonical form for the body hash — and each recipient's message only fills the
 * skeleton's two slots (text and HTML, encoded as nodemailer would encode them) and its own header
 * lines (To, Subject, Message-ID, Date, List-Unsubscribe …), then signs with dkim.ts. The tree is
 * the one nodemailer's MailComposer builds for the same input (mixed ⊃ alternative ⊃ related), so a
 * reader sees the same message (tests/unit/skeleton-composer.test.ts holds both to mailparser's
 * reading and to a DKIM verification). Shapes it does not cover return null and are composed by
 * nodemailer as before: no text and no HTML, a recipient address with non-ASCII characters, a
 * Message-ID that is not one `<…>` token.
 */

/** Headers written from the message's own fields; a copy among `headers` would be a second one. */
const MANAGED_HEADERS = new Set(["message-id", "from", "to", "cc", "bcc", "reply-to", "subject", "date", "mime-version", "content-type", "content-transfer-encoding", "dkim-signature"]);

/** The message's extra headers (List-Unsubscribe, X-Fanout-Delivery …) without the ones the composer writes itself. */
export function extraHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !MANAGED_HEADERS.has(name.toLowerCase())));
}

type Slot = "text" | "html";
type Piece = Buffer | Slot;
type TreeNode = { kind: "slot"; slot: Slot } | { kind: "static"; bytes: Buffer } | { kind: "multipart"; type: string; boundary: string; children: TreeNode[] };

type EncodedPart = { contentType: string; transferEncoding: string; body: string };
type Filled = { text: string; html: string; parts: Partial<Record<Slot, EncodedPart>>; body: Buffer[]; bodyHash?: string };

type Skeleton = {
  /** From and Reply-To, as nodemailer formats them. */
  senderLines: HeaderLine[];
  /** The root's Content-Type line when it is multipart; null when the root is the text or HTML part itself. */
  rootContentType: HeaderLine | null;
  rootSlot: Slot | null;
  pieces: Piece[];
  /** The pieces in their relaxed canonical form (slots filled per message). */
  canonical: Piece[];
  dkim?: DkimKey;
  bytes: number;
  /** The last filled body: the next recipient with the same text and HTML reuses its bytes and body hash. */
  last?: Filled;
};

/** Marks a skeleton key whose shape nodemailer composes instead, so it is not tried again for every recipient. */
const UNSUPPORTED: Skeleton = { senderLines: [], rootContentType: null, rootSlot: null, pieces: [], canonical: [], bytes: 0 };

const SKELETONS_MAX = 200;
const SKELETON_BYTES_MAX = 128 * 1024 * 1024;
const skeletons = new Map<string, Promise<Skeleton>>();
const sizes = new Map<string, number>();
const bufferIds = new WeakMap<Buffer, number>();
const keyIds = new Map<string, number>();
let nextId = 1;

function idOf(buffer: Buffer): number {
  let id = bufferIds.get(buffer);
  if (id === undefined) bufferIds.set(buffer, (id = nextId++));
  return id;
}

function keyIdOf(pem: string): number {
  let id = keyIds.get(pem);
  if (id === undefined) {
    if (keyIds.size >= 64) keyIds.clear();
    keyIds.set(pem, (id = nextId++));
  }
  return id;
}

/** What makes two messages share a skeleton: everything static about them. */
function skeletonKey(message: OutgoingMessage): string {
  const attachments = (message.attachments ?? []).map((a) => `${idOf(a.content)}\u0001${a.filename}\u0001${a.contentType}\u0001${a.cid ?? ""}`);
  const dkim = message.dkim ? `${message.dkim.domainName}\u0001${message.dkim.keySelector}\u0001${keyIdOf(message.dkim.privateKey)}` : "";
  return [message.from.address, message.from.name ?? "", message.replyTo ?? "", message.text ? 1 : 0, message.html ? 1 : 0, dkim, ...attachments].join("\u0000");
}

function rememberSkeleton(key: string, skeleton: Promise<Skeleton>) {
  skeletons.set(key, skeleton);
  skeleton.then(
    (built) => {
      sizes.set(key, built.bytes);
      let total = 0;
      for (const size of sizes.values()) total += size;
      for (const old of skeletons.keys()) {
        if (skeletons.size <= 1 || (skeletons.size <= SKELETONS_MAX && total <= SKELETON_BYTES_MAX)) break;
        if (old === key) continue;
        total -= sizes.get(old) ?? 0;
        skeletons.delete(old);
        sizes.delete(old);
      }
    },
    () => {
      skeletons.delete(key);
      sizes.delete(key);
    },
  );
}

const lines = (block: string) => block.split(/\r\n(?![ \t])/);
const headerLine = (line: string): HeaderLine => ({ key: line.slice(0, line.indexOf(":")).toLowerCase(), line });

/** From and Reply-To formatted by nodemailer's own MimeNode, so names and addresses are encoded exactly as before. */
function senderLinesOf(message: OutgoingMessage): HeaderLine[] {
  const node = new MimeNode("text/plain");
  node.setHeader("From", (message.from.name ? { name: message.from.name, address: message.from.address } : message.from.address) as string);
  if (message.replyTo) node.setHeader("Reply-To", message.replyTo);
  return lines(node.buildHeaders())
    .filter((line) => /^(from|reply-to):/i.test(line))
    .map(headerLine);
}

/** An attachment's whole part (headers and base64 body) built once by nodemailer's MimeNode, as MailComposer makes it. */
async function attachmentPart(attachment: NonNullable<OutgoingMessage["attachments"]>[number]): Promise<TreeNode> {
  const parent = new MimeNode("multipart/mixed");
  const node = parent.createChild(attachment.contentType, { filename: attachment.filename } as MimeNode.Options);
  if (attachment.cid) node.setHeader("Content-Id", `<${attachment.cid.replace(/[<>]/g, "")}>`);
  node.setHeader("Content-Transfer-Encoding", "base64");
  node.setHeader("Content-Disposition", attachment.cid ? "inline" : "attachment");
  node.setContent(attachment.content);
  return { kind: "static", bytes: await node.build() };
}

function boundary(): string {
  return `--_Fanout-${crypto.randomBytes(8).toString("hex")}`;
}

/** The tree MailComposer builds: mixed ⊃ alternative ⊃ related ⊃ html, each level only when needed. */
async function treeOf(message: OutgoingMessage): Promise<TreeNode | null> {
  const attachments = message.attachments ?? [];
  const alternatives: Slot[] = [...(message.text ? (["text"] as const) : []), ...(message.html ? (["html"] as const) : [])];
  if (alternatives.length === 0) return null;
  const related = message.html ? attachments.filter((a) => a.cid) : [];
  const attached = message.html ? attachments.filter((a) => !a.cid) : attachments;
  const html: TreeNode | null = message.html
    ? related.length > 0
      ? { kind: "multipart", type: 'multipart/related; type="text/html"', boundary: boundary(), children: [{ kind: "slot", slot: "html" }, ...(await Promise.all(related.map(attachmentPart)))] }
      : { kind: "slot", slot: "html" }
    : null;
  const text: TreeNode | null = message.text ? { kind: "slot", slot: "text" } : null;
  const content: TreeNode = text && html ? { kind: "multipart", type: "multipart/alternative", boundary: boundary(), children: [text, html] } : (text ?? html)!;
  if (attached.length === 0) return content;
  return { kind: "multipart", type: "multipart/mixed", boundary: boundary(), children: [content, ...(await Promise.all(attached.map(attachmentPart)))] };
}

function contentTypeLine(node: Extract<TreeNode, { kind: "multipart" }>): string {
  return `Content-Type: ${node.type};\r\n boundary="${node.boundary}"`;
}

/** A multipart node's body: its children between boundary lines. */
function bodyPieces(node: Extract<TreeNode, { kind: "multipart" }>): (string | Buffer | Slot)[] {
  const pieces: (string | Buffer | Slot)[] = [];
  node.children.forEach((child, index) => {
    pieces.push(`${index > 0 ? "\r\n" : ""}--${node.boundary}\r\n`);
    if (child.kind === "slot") pieces.push(child.slot);
    else if (child.kind === "static") pieces.push(child.bytes);
    else pieces.push(`${contentTypeLine(child)}\r\n\r\n`, ...bodyPieces(child));
  });
  pieces.push(`\r\n--${node.boundary}--\r\n`);
  return pieces;
}

/** Adjacent static pieces joined into one Buffer each. */
function joined(pieces: (string | Buffer | Slot)[]): Piece[] {
  const out: Piece[] = [];
  let run: Buffer[] = [];
  const flush = () => {
    if (run.length > 0) out.push(Buffer.concat(run));
    run = [];
  };
  for (const piece of pieces) {
    if (piece === "text" || piece === "html") {
      flush();
      out.push(piece);
    } else run.push(typeof piece === "string" ? Buffer.from(piece, "latin1") : piece);
  }
  flush();
  return out;
}

async function buildSkeleton(message: OutgoingMessage): Promise<Skeleton | null> {
  const tree = await treeOf(message);
  if (!tree) return null;
  const senderLines = senderLinesOf(message);
  const dkim = message.dkim ? { domainName: message.dkim.domainName, keySelector: message.dkim.keySelector, privateKey: message.dkim.privateKey } : undefined;
  if (tree.kind === "slot") return { senderLines, rootContentType: null, rootSlot: tree.slot, pieces: [tree.slot], canonical: [tree.slot], dkim, bytes: 0 };
  if (tree.kind === "static") return null;
  const pieces = joined(bodyPieces(tree));
  const canonical = pieces.map((piece) => (Buffer.isBuffer(piece) ? Buffer.from(relaxedBodyLines(piece.toString("latin1")), "latin1") : piece));
  const bytes = pieces.reduce((sum, piece) => sum + (Buffer.isBuffer(piece) ? piece.byteLength : 0), 0);
  return { senderLines, rootContentType: headerLine(contentTypeLine(tree)), rootSlot: null, pieces, canonical, dkim, bytes: bytes * 2 };
}

/** Bare LF to CRLF, as nodemailer's `newline: "windows"` writes the message. */
const crlf = (text: string) => text.replace(/(?<!\r)\n/g, "\r\n");

const NON_LATIN = /[\x00-\x08\x0B\x0C\x0E-\x1F\u0080-\uFFFF]/g;
const LATIN = /[a-z]/gi;

/** nodemailer's choice between quoted-printable and base64: more Latin letters than other symbols → Q. */
function prefersQuotedPrintable(value: string): boolean {
  return (value.match(NON_LATIN)?.length ?? 0) < (value.match(LATIN)?.length ?? 0);
}

const QP_ESCAPED = /[^\t\n\r\x20-\x3c\x3e-\x7e]+|[ \t](?=[\r\n]|$)/g;

/**
 * nodemailer's quoted-printable encoding (qp.encode: the same output, held to it by
 * tests/unit/skeleton-composer.test.ts), by runs instead of byte by byte: about a third of its CPU
 * for a 4 KB part, which every recipient's HTML costs.
 */
export function quotedPrintable(text: string): string {
  return text.replace(QP_ESCAPED, (run) => {
    let encoded = "";
    for (const byte of Buffer.from(run, "utf8")) encoded += `=${byte < 16 ? "0" : ""}${byte.toString(16).toUpperCase()}`;
    return encoded;
  });
}

/** A text or HTML part encoded as nodemailer's MimeNode encodes it: 7bit when it can, else QP or base64. */
function encodePart(slot: Slot, content: string): EncodedPart {
  const contentType = slot === "html" ? "text/html; charset=utf-8" : /[\u0080-\uFFFF]/.test(content) ? "text/plain; charset=utf-8" : "text/plain";
  if (mimeFuncs.isPlainText(content) && !mimeFuncs.hasLongerLines(content, 76)) return { contentType, transferEncoding: "7bit", body: crlf(content) };
  if (prefersQuotedPrintable(content)) return { contentType, transferEncoding: "quoted-printable", body: crlf(qp.wrap(quotedPrintable(content), 76)) };
  return { contentType, transferEncoding: "base64", body: base64.wrap(base64.encode(content), 76) };
}

const partHead = (part: EncodedPart) => `Content-Type: ${part.contentType}\r\nContent-Transfer-Encoding: ${part.transferEncoding}\r\n\r\n`;

function fill(skeleton: Skeleton, message: OutgoingMessage): Filled {
  const { text, html } = message;
  if (skeleton.last && skeleton.last.text === text && skeleton.last.html === html) return skeleton.last;
  const parts: Filled["parts"] = {};
  if (text) parts.text = encodePart("text", text);
  if (html) parts.html = encodePart("html", html);
  let body: Buffer[];
  let bodyHash: string | undefined;
  if (skeleton.rootSlot) {
    const part = parts[skeleton.rootSlot]!;
    body = [Buffer.from(part.body, "latin1")];
    if (skeleton.dkim) bodyHash = bodyHashOf([relaxedBody(part.body)]);
  } else {
    const filled = (slot: Slot) => partHead(parts[slot]!) + parts[slot]!.body;
    body = skeleton.pieces.map((piece) => (Buffer.isBuffer(piece) ? piece : Buffer.from(filled(piece), "latin1")));
    if (skeleton.dkim) bodyHash = bodyHashOf(skeleton.canonical.map((piece) => (Buffer.isBuffer(piece) ? piece : relaxedBodyLines(filled(piece)))));
  }
  skeleton.last = { text, html, parts, body, bodyHash };
  return skeleton.last;
}

let dateSecond = -1;
let dateValue = "";

/** The Date header's value, as nodemailer writes it ("Sun, 06 Dec 2026 19:31:45 +0000"), made once a second. */
function dateHeader(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateValue = new Date(second * 1000).toUTCString().replace(/GMT/, "+0000");
  }
  return dateValue;
}

/** nodemailer's rule for an unstructured header value: one line, non-ASCII words as MIME words, folded at 76. */
function unstructured(name: string, value: string): string {
  const oneLine = value.replace(/\r?\n|\r/g, " ");
  const encoded = /[^\x20-\x7e]/.test(oneLine) ? (mimeFuncs.encodeWords as (v: string, e: "Q" | "B", max: number, all: boolean) => string)(oneLine, prefersQuotedPrintable(oneLine) ? "Q" : "B", 52, true) : oneLine;
  return mimeFuncs.foldLines(`${name}: ${encoded}`, 76);
}

const SIMPLE_ADDRESS = /^[\x21-\x7e]+@[\x21-\x7e]+$/;
const MESSAGE_ID = /^<[^<>\s]+>$/;

/**
 * The complete message as it goes over SMTP, from the message's skeleton; or null for a shape the
 * skeleton does not cover (the caller composes it with nodemailer then).
 */
export async function composeFromSkeleton(message: OutgoingMessage): Promise<Buffer | null> {
  if (!SIMPLE_ADDRESS.test(message.to) || /[<>,"]/.test(message.to) || !MESSAGE_ID.test(message.messageId)) return null;
  const key = skeletonKey(message);
  let pending = skeletons.get(key);
  if (!pending) {
    pending = buildSkeleton(message).then((built) => built ?? UNSUPPORTED);
    rememberSkeleton(key, pending);
  } else {
    skeletons.delete(key);
    skeletons.set(key, pending);
  }
  const skeleton = await pending;
  if (skeleton === UNSUPPORTED) return null;

  const filled = fill(skeleton, message);
  const headers: HeaderLine[] = [];
  for (const [name, value] of Object.entries(extraHeaders(message.headers))) headers.push({ key: name.toLowerCase(), line: unstructured(name, value) });
  const [from, replyTo] = [skeleton.senderLines.find((h) => h.key === "from")!, skeleton.senderLines.find((h) => h.key === "reply-to")];
  headers.push(from, { key: "to", line: `To: ${message.to}` });
  if (replyTo) headers.push(replyTo);
  headers.push(
    { key: "subject", line: unstructured("Subject", message.subject) },
    { key: "message-id", line: `Message-ID: ${message.messageId}` },
    { key: "date", line: `Date: ${dateHeader()}` },
    { key: "mime-version", line: "MIME-Version: 1.0" },
  );
  if (skeleton.rootSlot) {
    const part = filled.parts[skeleton.rootSlot]!;
    headers.push({ key: "content-transfer-encoding", line: `Content-Transfer-Encoding: ${part.transferEncoding}` }, { key: "content-type", line: `Content-Type: ${part.contentType}` });
  } else headers.push(skeleton.rootContentType!);

  let block = "";
  if (skeleton.dkim) block += `${dkimSignature(headers, filled.bodyHash!, skeleton.dkim)}\r\n`;
  for (const header of headers) block += `${header.line}\r\n`;
  return Buffer.concat([Buffer.from(`${block}\r\n`, "latin1"), ...filled.body]);
}
