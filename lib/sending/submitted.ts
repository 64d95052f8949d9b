import "server-only";
import { eq } from "drizzle-orm";
import { simpleParser, type AddressObject, type EmailAddress } from "mailparser";
import type { Executor } from "@/db/client";
import { smtpSubmissions } from "@/db/schema";
import { cleanSubject, oneLine, type CompiledTemplate } from "@/lib/templates/render";

/*
 * The message of an `smtp` task: what a group-send client submitted through the SMTP entrance,
 * stored as received (smtp_submissions.raw) and read back here once per task. The engine sends
 * it to each recipient as its own message, built like a console task's (buildMessage): the
 * client's subject, HTML, text, attachments and Reply-To as written, under Fanout's headers.
 *
 * Nothing else of the client's header block is copied. To and Cc are not: each copy goes to one
 * recipient, so its To is that recipient alone (a copy that named the other recipients would
 * disclose them, and a recipient's "reply all" would go to everyone). Bcc never goes out.
 * Message-ID, Return-Path, List-Unsubscribe and DKIM are Fanout's, per delivery.
 */

export type SubmittedAttachment = { fileName: string; contentType: string; content: Buffer; cid?: string };

export type SubmittedMessage = {
  subject: string;
  /** Empty when the message had no HTML part: it is then sent as text alone (nothing to track). */
  html: string;
  /** Empty when the message had no text part (no text is made up from the HTML). */
  text: string;
  attachments: SubmittedAttachment[];
  /** The Reply-To header's addresses as one header value, when the message had one. */
  replyTo?: string;
  /** The display name of the message's From, or "". */
  fromName: string;
  /** Bytes of the message as received. */
  size: number;
  /** The Message-IDs it answers (In-Reply-To) and its conversation (References), with their angle brackets. */
  inReplyTo?: string;
  references: string[];
};

/** Errors that name a task's submitted message as the reason it cannot be sent (lifecycle.ts fails such a task). */
export const SUBMISSION_UNUSABLE = "submitted message";

/** The submitted message of an `smtp` task, parsed. Throws when it is gone or cannot be read. */
export async function loadSubmittedMessage(db: Executor, taskId: string, departmentId: string): Promise<SubmittedMessage> {
  const [row] = await db.select({ raw: smtpSubmissions.raw, departmentId: smtpSubmissions.departmentId }).from(smtpSubmissions).where(eq(smtpSubmissions.taskId, taskId));
  if (!row || row.departmentId !== departmentId) throw new Error(`Task ${taskId} has no ${SUBMISSION_UNUSABLE}`);
  try {
    return await parseSubmittedMessage(row.raw);
  } catch (error) {
    throw new Error(`Task ${taskId}: its ${SUBMISSION_UNUSABLE} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Reads a message as sent: `cid:` links stay as they are (mailparser would inline them as data:
 * URLs), no text is generated from HTML. A part with a Content-ID that sits in multipart/related,
 * or that the HTML refers to by `cid:`, stays inline with its id; every other part is an attachment.
 */
export async function parseSubmittedMessage(raw: Buffer): Promise<SubmittedMessage> {
  const parsed = await simpleParser(raw, { keepCidLinks: true, skipHtmlToText: true, checksumAlgo: false });
  const html = typeof parsed.html === "string" ? parsed.html : "";
  const attachments = parsed.attachments.map((attachment): SubmittedAttachment => {
    const inline = attachment.cid !== undefined && (attachment.related === true || html.includes(`cid:${attachment.cid}`));
    return {
      fileName: attachment.filename ?? "",
      contentType: attachment.contentType,
      content: attachment.content,
      ...(inline ? { cid: attachment.cid } : {}),
    };
  });
  const replyTo = headerValue(parsed.replyTo);
  return {
    subject: cleanSubject(parsed.subject ?? ""),
    html,
    text: parsed.text ?? "",
    attachments,
    ...(replyTo ? { replyTo } : {}),
    fromName: oneLine(firstAddress(parsed.from)?.name ?? ""),
    size: raw.byteLength,
    ...(parsed.inReplyTo ? { inReplyTo: parsed.inReplyTo } : {}),
    references: [parsed.references ?? []].flat(),
  };
}

/** The message as a template that renders it unchanged for everyone: no Liquid, so a `{{` stays as written. */
export function verbatimTemplate(id: string, message: Pick<SubmittedMessage, "subject" | "html" | "text">): CompiledTemplate {
  const rendered = { subject: message.subject, html: message.html, text: message.text };
  return { id, version: 0, textGenerated: false, textSource: message.text, render: () => ({ ...rendered }) };
}

function addressesOf(header: AddressObject | AddressObject[] | undefined): EmailAddress[] {
  const flatten = (entries: EmailAddress[]): EmailAddress[] => entries.flatMap((entry) => (entry.group ? flatten(entry.group) : [entry]));
  return header === undefined ? [] : flatten([header].flat().flatMap((object) => object.value));
}

function firstAddress(header: AddressObject | AddressObject[] | undefined): EmailAddress | undefined {
  return addressesOf(header)[0];
}

/** Addresses as one header value for the transports to encode again: `"Name" <a@b>, c@d`. */
function headerValue(header: AddressObject | AddressObject[] | undefined): string | undefined {
  const parts = addressesOf(header)
    .filter((entry) => entry.address && /^[^\s<>@]+@[^\s<>@]+$/.test(entry.address))
    .map((entry) => {
      const name = oneLine(entry.name);
      return name ? `"${name.replace(/(["\\])/g, "\\$1")}" <${entry.address}>` : entry.address!;
    });
  return parts.length > 0 ? parts.join(", ") : undefined;
}

