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

// The line after which a plain-text bounce quotes the message it returns.
const RETURNED_MESSAGE_MARKER =
  /^.*(?:copy of (?:the |your )?(?:original )?message|original (?:message|mail)(?: header)?s? (?:as |is )?follow|original mail info|unsent message follows|message headers? follows?|header of the original message|original message headers?\b|-{3,} ?(?:original|returned) message ?-{3,}).*$|^(?=(?:received|return-path|dkim-signature):\s?\S)/im;

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
      if (part.children.length === 0) texts.push(part.text);
      const alternatives = part.type === "multipart/alternative" ? preferPlain(part.children) : part.children;
      for (const child of alternatives) visit(child, inReturnedMessage);
      return;
    }
    if (isAttachment(part) || inReturnedMessage) return;
    if (part.type === "text/plain" || part.type === "text/html" || part.type === "text/enriched") {
      texts.push(part.type === "text/html" ? htmlToText(part.text) : part.text);
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
  const marker = RETURNED_MESSAGE_MARKER.exec(text);
  if (!marker) return { notification: text, returned: null };
  const after = text.slice(marker.index + marker[0].length).replace(/^[^\n]*\n/, "");
  return { notification: text.slice(0, marker.index), returned: after };
}

function htmlToText(html: string): string {
  return html
    .replace(/<(style|script)[\s\S]*?<\/\1>/gi, " ")
    .replace(/<br\s*\/?>|<\/(p|div|tr|li|h\d)>/gi, "\n")
    .replace(/<[^>]+>/g, " ")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&amp;/g, "&")
    .replace(/[ \t]+/g, " ");
}
