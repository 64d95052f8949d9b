import "server-only";
import { simpleParser, type AddressObject } from "mailparser";
import { cleanSubject } from "@/lib/templates/render";
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
const FIELD = /^[!-9;-~]+[ \t]*:/;
const FROM_FIELD = /^from[ \t]*:/i;

export async function readMessageHeader(raw: Buffer): Promise<MessageHeader> {
  const block = headerBlock(raw);
  let fromFields = 0;
  let lineNo = 0;
  for (const line of block === "" ? [] : block.split("\n")) {
    lineNo++;
    const text = line.endsWith("\r") ? line.slice(0, -1) : line;
    const folded = text.startsWith(" ") || text.startsWith("\t");
    if (folded && lineNo > 1) continue;
    if (!FIELD.test(text)) {
      throw refuse(554, `5.6.0 Malformed message: line ${lineNo} of the header is neither a header field nor its continuation (a blank line must separate the header from the body)`);
    }
    if (FROM_FIELD.test(text)) fromFields++;
  }
  if (fromFields === 0) throw refuse(554, "5.6.0 Malformed message: it has no From header");
  if (fromFields > 1) throw refuse(554, "5.6.0 Malformed message: it has more than one From header");
  // The header block alone, ended by its blank line: mailparser reads it without a body to walk.
  const parsed = await simpleParser(Buffer.concat([Buffer.from(block, "latin1"), Buffer.from("\r\n\r\n")]), { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
  const mailboxes = mailboxesOf(parsed.from);
  if (mailboxes.length !== 1 || !mailboxes[0]!.address) throw refuse(554, "5.6.0 Malformed message: the From header must name exactly one address");
  const subject = oneLine(cleanSubject(parsed.subject ?? ""));
  return { from: mailboxes[0]!.address, fromName: oneLine(mailboxes[0]!.name ?? ""), subject: subject === "" ? "(no subject)" : subject };
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

function mailboxesOf(header: AddressObject | undefined) {
  return (header?.value ?? []).flatMap((entry) => (entry.group ? entry.group : [entry]));
}

/** One line without control characters, at most 200 characters (a task name's limit). */
function oneLine(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]+/g, " ").trim().slice(0, 200);
}
