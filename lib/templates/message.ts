import "server-only";
import crypto from "node:crypto";
import { feedbackAddress } from "@/lib/tokens/delivery-addresses";
import { clickTracker, openPixelUrl, unsubscribeLinks, type UnsubscribeLinks } from "@/lib/tokens/delivery-links";
import type { OutgoingMessage } from "@/lib/transports/types";
import { addOpenPixel, rewriteLinks } from "./links";

export type MessageParts = {
  deliveryId: string;
  to: string;
  from: { address: string; name?: string };
  rendered: { subject: string; html: string; text: string };
  /** Files sent with it; one with a `cid` is an inline part the HTML refers to as `cid:…`. */
  attachments?: { fileName: string; contentType: string; content: Buffer; cid?: string }[];
  /** Where replies go, when not to the sender (a submitted message's own Reply-To). */
  replyTo?: string;
  dkim?: { domainName: string; keySelector: string; privateKey: string } | null;
  /** A stable Message-ID (the send engine derives one per delivery, so a re-send is byte-identical); random when absent. */
  messageId?: string;
  /** Use the delivery's own return path (`bounce+<token>@…`) as the envelope sender. */
  verp?: boolean;
  /** The delivery's unsubscribe links when the caller made them already (for the body). */
  unsubscribe?: UnsubscribeLinks;
  /** The domain of the return path and links when the From is not on the sending domain (a group post From its poster). */
  senderDomain?: string;
  /** More header fields (a group post's list headers); they cannot replace the ones below. */
  headers?: Record<string, string>;
};

/**
 * A rendered HTML part with every trackable link sent through its click URL and the open pixel
 * added. Besides the links `clickTracker` leaves alone, mailto:/tel:/anchors stay as written
 * (rewriteLinks only offers http(s) URLs). A message without HTML (text alone) stays without: a
 * pixel would make it an HTML message.
 */
export function trackHtml(html: string, deliveryId: number | string): string {
  if (html === "") return html;
  return addOpenPixel(rewriteLinks(html, clickTracker(deliveryId)), openPixelUrl(deliveryId));
}

/**
 * A rendered message as the transports take it: Message-ID on the sender's domain, the
 * List-Unsubscribe pair with one-click POST, and the delivery id for tracing.
 */
export function buildMessage(parts: MessageParts): OutgoingMessage {
  const domain = parts.senderDomain ?? parts.from.address.split("@")[1] ?? "fanout.localhost";
  const links = parts.unsubscribe ?? unsubscribeLinks(parts.deliveryId, domain);
  return {
    id: parts.deliveryId,
    from: parts.from,
    to: parts.to,
    ...(parts.replyTo ? { replyTo: parts.replyTo } : {}),
    subject: parts.rendered.subject,
    html: parts.rendered.html,
    text: parts.rendered.text,
    messageId: parts.messageId ?? `<${crypto.randomUUID()}@${domain}>`,
    // Bounces of a task's message come back to its own address (VERP); a test message's go to the sender.
    ...(parts.verp ? { envelopeFrom: feedbackAddress("bounce", parts.deliveryId, domain) } : {}),
    headers: {
      ...parts.headers,
      "List-Unsubscribe": `<${links.oneClickUrl}>, <${links.mailto}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
      "X-Fanout-Delivery": parts.deliveryId,
    },
    attachments: parts.attachments?.map((attachment) => ({
      filename: attachment.fileName,
      contentType: attachment.contentType,
      content: attachment.content,
      ...(attachment.cid ? { cid: attachment.cid } : {}),
    })),
    ...(parts.dkim ? { dkim: parts.dkim } : {}),
  };
}
