import "server-only";
import libmime from "libmime";
import addressparser from "nodemailer/lib/addressparser";
import { cleanSubject, oneLine } from "@/lib/templates/render";
import { refuse } from "./replies";

/**
 * What the entrance reads of a submitted message before it takes it: the header block only. The
 * message is kept and sent as received (the engine reads its parts when it sends), so its body is
 * not parsed here; a body that is not valid MIME goes out as the client wrote it, as a relay
 * would pass it on.
 *
 * Refused with 554 5.6.0, the decision for malformed mail: a header block that is not one (a line
 * that is neither a field nor a folded continuation, which is what body text without the blank
 * line before it looks like), a header block longer than MAX_HEADER_BYTES, and a message without
 * exactly one From address (the task's sender is that address, and its domain signs the copies).
 */
export const MAX_HEADER_BYTES = 256 * 1024;

export type MessageHeader = {
  /** The From address as written (checked against the department's senders by the caller). */
  from: string;
  /** Its display name, one line, at most 200 characters; "" when none. */
  fromName: string;
  /** The subject, one line, at most 200 characters; "(no subject)" when empty: the task's name. */
  subject: string;
};

// A field name is printable ASCII but the colon (RFC 5322 ftext); obsolete syntax allows blanks before the colon.
// Each class excludes what follows it, so the match is linear in the line.
const FIELD = /^([!-9;-~]+)[ \t]*:/;

export async function readMessageHeader(raw: Buffer): Promise<MessageHeader> {
  const block = headerBlock(raw);
  const fields = unfoldedFields(block);
  const fromFields = fields.filter((field) => field.name === "from");
  if (fromFields.length === 0) throw refuse(554, "5.6.0 Malformed message: it has no From header");
  if (fromFields.length > 1) throw refuse(554, "5.6.0 Malformed message: it has more than one From header");
  // Groups flattened: "Team: <a@x>;" names one address as well as "<a@x>" does.
  const mailboxes = addressparser(fromFields[0]!.value, { flatten: true }).filter((mailbox) => mailbox.address);
  if (mailboxes.length !== 1) throw refuse(554, "5.6.0 Malformed message: the From header must name exactly one address");
  // At most 200 characters each: a task name's limit.
  const subject = oneLine(cleanSubject(libmime.decodeWords(fields.find((field) => field.name === "subject")?.value ?? ""))).slice(0, 200);
  return { from: mailboxes[0]!.address, fromName: oneLine(libmime.decodeWords(mailboxes[0]!.name ?? "")).slice(0, 200), subject: subject === "" ? "(no subject)" : subject };
}

type Field = { name: string; value: string };

/**
 * The header block's fields, each unfolded onto one line (RFC 5322 2.2.3), names in lower case,
 * values as text: raw 8-bit bytes (clients that do not encode their headers) read as UTF-8 when they
 * are valid UTF-8, else as GB18030, the legacy encoding of the clients this entrance mostly serves.
 * Encoded words (=?charset?…?=) are left for the caller, which decodes only what it reads.
 */
function unfoldedFields(block: string): Field[] {
  const fields: { name: string; value: string[] }[] = [];
  let lineNo = 0;
  for (const line of block === "" ? [] : block.split("\n")) {
    lineNo++;
    const text = line.endsWith("\r") ? line.slice(0, -1) : line;
    const folded = text.startsWith(" ") || text.startsWith("\t");
    if (folded && fields.length > 0) {
      fields[fields.length - 1]!.value.push(text);
      continue;
    }
    const name = FIELD.exec(text);
    if (!name) {
      throw refuse(554, `5.6.0 Malformed message: line ${lineNo} of the header is neither a header field nor its continuation (a blank line must separate the header from the body)`);
    }
    fields.push({ name: name[1]!.toLowerCase(), value: [text.slice(name[0].length)] });
  }
  return fields.map((field) => ({ name: field.name, value: asText(field.value.join("")).trim() }));
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const gb18030 = new TextDecoder("gb18030");

/** One char per byte (latin1) to text. */
function asText(latin1: string): string {
  if (!/[^\x00-\x7f]/.test(latin1)) return latin1;
  const bytes = Buffer.from(latin1, "latin1");
  try {
    return utf8.decode(bytes);
  } catch {
    return gb18030.decode(bytes);
  }
}

/** The header block as one char per byte: everything before the first empty line, or the whole message when it has none (a message may have no body). */
function headerBlock(raw: Buffer): string {
  const limit = Math.min(raw.length, MAX_HEADER_BYTES + 4);
  const head = raw.subarray(0, limit);
  let end = -1;
  if (head[0] === 0x0a) end = 0;
  else if (head[0] === 0x0d && head[1] === 0x0a) end = 0;
  else {
    const lf = head.indexOf("\n\n", 0, "latin1");
    const crlf = head.indexOf("\n\r\n", 0, "latin1");
    end = lf === -1 ? crlf : crlf === -1 ? lf : Math.min(lf, crlf);
    if (end !== -1) end += 1; // keep the line break that ends the last field
  }
  if (end === -1) {
    if (raw.length > MAX_HEADER_BYTES) throw refuse(554, `5.6.0 Malformed message: no blank line ends the header within its first ${MAX_HEADER_BYTES / 1024} KiB`);
    end = raw.length;
  }
  if (end > MAX_HEADER_BYTES) throw refuse(554, `5.6.0 Malformed message: the header is longer than ${MAX_HEADER_BYTES / 1024} KiB`);
  const block = head.subarray(0, end).toString("latin1");
  // Drop the final line break so splitting does not see an empty last line.
  return block.replace(/\r?\n$/, "");
}

