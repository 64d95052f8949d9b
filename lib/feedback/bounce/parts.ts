import { parseDeliveryStatus, type DsnRecipient } from "./dsn";
import { parseFields, parseHeaderBlock, splitHeadBody, toBinaryString, type HeaderFields, type MimePart } from "./mime";

/** The pieces of a report message, whatever its MIME shape. */
export type ReportParts = {
  /** Human-readable text written by the reporting server, without the returned message. */
  notification: string;
  deliveryStatus: DsnRecipient[];
  /** Headers of the returned original message, when the report carries them. */
  originalHeaders: HeaderFields | null;
  feedbackReport: HeaderFields | null;
};

/**
 * Caps on the text read from a report, so a hostile one costs bounded work: each text part is read
 * up to 256 KiB (HTML before its tags are dropped), and the notification, the words before the
 * returned message, up to 64 KiB. The notifications of the 400 real bounces in the test corpus are
 * all under 5 KiB.
 */
export const MAX_TEXT_PART_CHARS = 256 * 1024;
export const MAX_NOTIFICATION_CHARS = 64 * 1024;

// The line after which a plain-text bounce quotes the message it returns.
const RETURNED_MESSAGE_MARKER =
  /^.*(?:copy of (?:the |your )?(?:original )?message|original (?:message|mail)(?: header)?s? (?:as |is )?follow|original mail info|unsent message follows|message headers? follows?|header of the original message|original message headers?\b|(?<!-)-{3,} ?(?:original|returned) message ?-{3,}).*$|^(?=(?:received|return-path|dkim-signature):\s?\S)/im;

export function collectParts(root: MimePart): ReportParts {
  const parts: ReportParts = { notification: "", deliveryStatus: [], originalHeaders: null, feedbackReport: null };
  const texts: string[] = [];
  const visit = (part: MimePart, inReturnedMessage: boolean) => {
    if (part.type === "message/delivery-status" || part.type === "message/global-delivery-status" || part.type === "text/delivery-status") {
      parts.deliveryStatus.push(...parseDeliveryStatus(part.text));
      return;
    }
    if (part.type === "message/feedback-report") {
      parts.feedbackReport = parseFields(part.text.replace(/\r?\n[ \t]*\r?\n/g, "\n"));
      return;
    }
    if (part.type === "text/rfc822-headers" || part.type === "message/rfc822-headers" || part.type === "text/rfc822-header") {
      parts.originalHeaders ??= parseHeaderBlock(splitHeadBody(toBinaryString(part.text.replace(/^\s+/, ""))).head);
      return;
    }
    if (part.type === "message/rfc822" || part.type === "message/global") {
      const returned = part.children[0];
      if (!returned || inReturnedMessage) return;
      parts.originalHeaders ??= returned.headers;
      // A report forwarded as an attachment (a bounce of a bounce) still carries the report fields.
      if (returned.type === "multipart/report") visit(returned, true);
      return;
    }
    if (part.children.length > 0 || part.type.startsWith("multipart/")) {
      if (part.children.length === 0) texts.push(part.text.slice(0, MAX_TEXT_PART_CHARS));
      const alternatives = part.type === "multipart/alternative" ? preferPlain(part.children) : part.children;
      for (const child of alternatives) visit(child, inReturnedMessage);
      return;
    }
    if (isAttachment(part) || inReturnedMessage) return;
    if (part.type === "text/plain" || part.type === "text/html" || part.type === "text/enriched") {
      const text = part.text.slice(0, MAX_TEXT_PART_CHARS);
      texts.push(part.type === "text/html" ? htmlToText(text) : text);
    }
  };
  visit(root, false);
  const { notification, returned } = cutReturnedMessage(texts.join("\n\n"));
  parts.notification = notification;
  // Some servers paste the report fields into the text instead of a message/delivery-status part.
  if (parts.deliveryStatus.length === 0) {
    parts.deliveryStatus = parseDeliveryStatus(notification.replace(/^[ \t]+/gm, "")).filter((group) => group.recipient && (group.action || group.status));
  }
  if (!parts.originalHeaders && returned) parts.originalHeaders = parseFields(splitHeadBody(returned.replace(/^\s+/, "")).head);
  return parts;
}

function preferPlain(children: MimePart[]): MimePart[] {
  const plain = children.find((child) => child.type === "text/plain" && child.text.trim() !== "");
  return plain ? [plain] : children.slice(-1);
}

function isAttachment(part: MimePart): boolean {
  const disposition = part.headers.get("content-disposition")?.[0]?.toLowerCase() ?? "";
  return disposition.startsWith("attachment") && !part.type.startsWith("text/plain");
}

function cutReturnedMessage(text: string): { notification: string; returned: string | null } {
  const marker = RETURNED_MESSAGE_MARKER.exec(text.slice(0, MAX_NOTIFICATION_CHARS));
  if (!marker) return { notification: text.slice(0, MAX_NOTIFICATION_CHARS), returned: null };
  const after = text.slice(marker.index + marker[0].length).replace(/^[^\n]*\n/, "");
  return { notification: text.slice(0, marker.index), returned: after };
}

function htmlToText(html: string): string {
  return replaceTags(dropStyleAndScript(html).replace(/<br\s*\/?>|<\/(p|div|tr|li|h\d)>/gi, "\n"))
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#(\d{1,7});/g, (_, code: string) => (Number(code) <= 0x10ffff ? String.fromCodePoint(Number(code)) : " "))
    .replace(/&amp;/g, "&")
    .replace(/[ \t]+/g, " ");
}

/**
 * <style>…</style> and <script>…</script> become a space, in one pass. (The lazy pattern
 * /<(style|script)[\s\S]*?<\/\1>/ reads to the end of the text from every unclosed "<style".)
 */
function dropStyleAndScript(html: string): string {
  const opening = /<(style|script)/gi;
  const closed = { style: true, script: true };
  let out = "";
  let copied = 0;
  for (let match = opening.exec(html); match; match = opening.exec(html)) {
    const name = match[1]!.toLowerCase() as keyof typeof closed;
    if (!closed[name]) continue;
    const closing = new RegExp(`</${name}>`, "gi");
    closing.lastIndex = opening.lastIndex;
    const end = closing.exec(html);
    // No closing tag after this one means none after any later one either.
    if (!end) {
      closed[name] = false;
      continue;
    }
    out += `${html.slice(copied, match.index)} `;
    copied = closing.lastIndex;
    opening.lastIndex = copied;
  }
  return out + html.slice(copied);
}

/** What /<[^>]+>/g does (every tag becomes a space), in one pass: a "<" without a later ">" ends the tags. */
function replaceTags(html: string): string {
  let out = "";
  let copied = 0;
  for (let open = html.indexOf("<"); open !== -1; open = html.indexOf("<", open + 1)) {
    if (html[open + 1] === ">") continue;
    const close = html.indexOf(">", open + 1);
    if (close === -1) break;
    out += `${html.slice(copied, open)} `;
    copied = close + 1;
    open = close;
  }
  return out + html.slice(copied);
}
