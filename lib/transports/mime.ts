import nodemailer from "nodemailer";
import type Mail from "nodemailer/lib/mailer";
import { SIGNED_FIELDS } from "./dkim";
import { composeFromSkeleton, extraHeaders } from "./skeleton";
import type { OutgoingMessage } from "./types";

export { extraHeaders } from "./skeleton";

/**
 * nodemailer's options for one message: what composes the shapes the skeleton does not cover, and
 * what the composer is compared with (tests/unit/skeleton-composer.test.ts).
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
    // The fields dkim.ts signs, List-Unsubscribe-Post among them (RFC 8058), not nodemailer's shorter default.
    dkim: message.dkim ? { domainName: message.dkim.domainName, keySelector: message.dkim.keySelector, privateKey: message.dkim.privateKey, headerFieldNames: SIGNED_FIELDS.join(":") } : undefined,
    // One transaction, one recipient: the reply to RCPT TO and to DATA belongs to this message alone.
    envelope: envelopeOf(message),
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

/** MAIL FROM and the one RCPT TO of a message. */
export function envelopeOf(message: Pick<OutgoingMessage, "to" | "from" | "envelopeFrom">): { from: string; to: string[] } {
  return { from: message.envelopeFrom ?? message.from.address, to: [message.to] };
}

let composer: nodemailer.Transporter | undefined;

/** The message as nodemailer's MailComposer (and its DKIM signer) makes it. */
export async function composeWithNodemailer(message: OutgoingMessage): Promise<Buffer> {
  composer ??= nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "windows" });
  const info = await composer.sendMail(mailOptionsFor(message));
  return info.message as Buffer;
}

/**
 * The complete RFC 5322 message (CRLF line ends, DKIM-signed when `message.dkim` is set) as it
 * goes over SMTP: Message-ID, List-Unsubscribe and the other headers, UTF-8 subject and body,
 * attachments. Composed from the message's skeleton (skeleton.ts), or by nodemailer for the
 * shapes the skeleton leaves to it.
 */
export async function buildMime(message: OutgoingMessage): Promise<Buffer> {
  return (await composeFromSkeleton(message)) ?? composeWithNodemailer(message);
}
