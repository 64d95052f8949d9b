import nodemailer from "nodemailer";
import type Mail from "nodemailer/lib/mailer";
import type { OutgoingMessage } from "./types";

/** Headers nodemailer writes itself from the message's fields; a copy in `headers` would be a second one. */
const MANAGED_HEADERS = new Set(["message-id", "from", "to", "cc", "bcc", "reply-to", "subject", "date", "mime-version", "content-type", "content-transfer-encoding"]);

/** The message's extra headers (List-Unsubscribe, X-Fanout-Delivery …) without the ones nodemailer manages. */
export function extraHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !MANAGED_HEADERS.has(name.toLowerCase())));
}

/**
 * nodemailer's options for one message. The SMTP transport and `buildMime` both use this, so a
 * message in the outbox has exactly the headers it would have had on the wire.
 */
export function mailOptionsFor(message: OutgoingMessage): Mail.Options {
  return {
    from: message.from.name ? { name: message.from.name, address: message.from.address } : message.from.address,
    to: message.to,
    replyTo: message.replyTo,
    subject: message.subject,
    text: message.text,
    html: message.html,
    messageId: message.messageId,
    headers: extraHeaders(message.headers),
    attachments: message.attachments?.map((attachment) => ({
      filename: attachment.filename,
      contentType: attachment.contentType,
      content: attachment.content,
      // nodemailer puts a part with a cid into multipart/related beside the HTML that refers to it.
      ...(attachment.cid ? { cid: attachment.cid, contentDisposition: "inline" as const } : {}),
    })),
    dkim: message.dkim ? { domainName: message.dkim.domainName, keySelector: message.dkim.keySelector, privateKey: message.dkim.privateKey } : undefined,
    // One transaction, one recipient: the reply to RCPT TO and to DATA belongs to this message alone.
    envelope: { from: message.envelopeFrom ?? message.from.address, to: [message.to] },
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

let composer: nodemailer.Transporter | undefined;

/**
 * The complete RFC 5322 message (CRLF line ends, DKIM-signed when `message.dkim` is set) as it
 * would go over SMTP: Message-ID, List-Unsubscribe and the other headers, UTF-8 subject and body,
 * attachments.
 */
export async function buildMime(message: OutgoingMessage): Promise<Buffer> {
  composer ??= nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "windows" });
  const info = await composer.sendMail(mailOptionsFor(message));
  return info.message as Buffer;
}
