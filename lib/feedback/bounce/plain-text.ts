import { dottedAddressesIn } from "./address-scan";
import { enhancedStatusIn } from "./classify";
import { addressOf } from "./dsn";
import { findWording } from "./vocabulary";

// Lines that name the failed recipient in the bounce formats of qmail, Exim, Postfix, Exchange, Gmail, Domino, OpenSMTPD…
// Tried on one line at a time from its start, and no two neighbouring quantifiers can take the same
// characters (a run of spaces is taken by one \s* only), so a long line costs its length, not its square.
const RECIPIENT_LINE =
  /^\s*(?:recipient:\s*|rcpt to:\s*|original-recipient:\s*|(?:[a-z][a-z ]*)?to:\s*|"|<)?<?([\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+)>?"?(?:\s*(?::|$|\.\.\.|<mailto:)|\s+(?:on\s|\())/i;
// A reply code after the line's start, whitespace, "said:" or "<<<"; an enhanced status code alone.
const SMTP_REPLY = /(?:^|(?<=\s|said:|<<<))[45]\d\d[\s-]|\(#?[45]\.\d\.\d+\)|(?<![\w.])[245]\.\d{1,3}\.\d{1,3}(?![\w]|\.\d)/;

export type PlainTextFindings = { recipient: string | null; status: string | null; diagnostic: string };

/** Recipient, status and reply text of a bounce written for people rather than as an RFC 3464 report. */
export function readPlainBounce(notification: string, ignored: Set<string>): PlainTextFindings {
  const lines = notification.split(/\r?\n/);
  const diagnostic = diagnosticLines(lines);
  return {
    recipient: recipientIn(notification, ignored),
    status: enhancedStatusIn(diagnostic) ?? enhancedStatusIn(notification),
    diagnostic,
  };
}

function recipientIn(text: string, ignored: Set<string>): string | null {
  const onRecipientLines = text
    .split(/\r?\n/)
    .map((line) => addressOf(recipientOnLine(line)))
    .filter((address): address is string => !!address);
  const anywhere = dottedAddressesIn(text).map(addressOf).filter((address): address is string => !!address);
  return (
    onRecipientLines.find((address) => !ignored.has(address)) ??
    anywhere.find((address) => !ignored.has(address) && !/^(postmaster|mailer-daemon)@/i.test(address)) ??
    onRecipientLines[0] ??
    null
  );
}

/** The recipient a line names; a lone CR starts a new line, as for /^…$/m, and the first that names one wins. */
function recipientOnLine(line: string): string | undefined {
  for (const segment of line.split("\r")) {
    const named = RECIPIENT_LINE.exec(segment)?.[1];
    if (named) return named;
  }
  return undefined;
}

/** The remote server's reply with its continuation lines, or the first line whose words name a reason. */
function diagnosticLines(lines: string[]): string {
  let start = lines.findIndex((line) => SMTP_REPLY.test(line) && !/^\s*(in|out):\s*[25]\d\d/i.test(line) && !/^\s*(out:\s*)?[23]\d\d[\s-]/i.test(line));
  if (start < 0) start = lines.findIndex((line) => line.trim() !== "" && findWording(line) !== undefined);
  if (start < 0) return "";
  const first = lines[start]!;
  const replyAt = first.search(/(?<![\w.-])[45]\d\d[\s-]/);
  const picked = [replyAt > 0 && /(said|returned was|error|reply|message):?\s*$|@[\w.-]+>?:\s*$/i.test(first.slice(0, replyAt)) ? first.slice(replyAt) : first];
  const firstCode = /(?<![\w.-])([45]\d\d)[\s-]/.exec(picked[0]!)?.[1];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === "" || picked.join(" ").length > 500) break;
    const code = /^\s*(?:<<<\s*)?([45]\d\d)[\s-]/.exec(line)?.[1];
    if (firstCode && code && code !== firstCode) break; // the reply of another host or recipient
    if (!/^\s/.test(line) && !/^[45]\d\d[\s-]/.test(line) && !/^[a-z]/.test(line)) break;
    picked.push(line);
  }
  return oneLine(picked.join(" "));
}

export function oneLine(text: string, limit = 500): string {
  const single = text.replace(/\s+/g, " ").trim();
  return single.length > limit ? `${single.slice(0, limit - 1)}…` : single;
}
