import "server-only";
import type { Database } from "@/db/client";
import { analyzeMessage } from "@/lib/feedback/bounce";
import { recipientFieldAddresses } from "@/lib/feedback/bounce/address-scan";
import { MAX_HEADER_BLOCK_CHARS, parseHeaderBlock, splitHeadBody, toBinaryString } from "@/lib/feedback/bounce/mime";
import { parseFeedbackAddress, type AddressPurpose } from "@/lib/tokens/delivery-addresses";
import { applyFeedback, type FeedbackResult } from "./apply";
import { unsubscribeDelivery } from "./unsubscribe";
import { recordReply, type ReplyOutcome } from "./replies";

/** The largest message the inbound path reads (bounces quote the original; 10 MB is generous). */
export const MAX_INBOUND_BYTES = 10 * 1024 * 1024;

export type InboundResult =
  | { outcome: "no_feedback_address" }
  | { outcome: "invalid_token"; address: string }
  | { outcome: "unsubscribed"; deliveryId: number; already: boolean }
  | ReplyOutcome
  | { outcome: FeedbackResult | "ignored"; deliveryId: number; kind: string; category: string | null; status: string | null };

// Headers where relays and mailbox servers keep the envelope recipient once the envelope is gone.
const RECIPIENT_HEADERS = ["x-original-to", "delivered-to", "envelope-to", "x-envelope-to", "x-rcpt-to", "to", "cc"];

/**
 * Mail that comes back to a per-delivery address: asynchronous bounces, delay notices and
 * complaints sent to the return path `bounce+<token>@…`, unsubscribe requests sent to
 * `unsubscribe+<token>@…`, and replies to a task's messages at `reply+<token>@…` (lib/feedback/replies.ts). The signed token is the only credential: a message whose address has
 * no valid token changes nothing. Used by `POST /api/webhooks/inbound` and by the SMTP entrance.
 */
export async function receiveInboundMail(
  db: Database,
  raw: Buffer,
  envelopeRecipients: readonly string[] = [],
  log?: (message: string, error: unknown) => void,
): Promise<InboundResult> {
  const target = findFeedbackAddress([...envelopeRecipients, ...headerRecipients(raw)]);
  if (!target) return { outcome: "no_feedback_address" };
  if (target.deliveryId === null) return { outcome: "invalid_token", address: target.address };

  if (target.purpose === "reply") return recordReply(db, target.deliveryId, raw, log);
  if (target.purpose === "unsubscribe") {
    const result = await unsubscribeDelivery(db, target.deliveryId, { method: "mailto" });
    return result ? { outcome: "unsubscribed", deliveryId: target.deliveryId, already: result.already } : { outcome: "invalid_token", address: target.address };
  }

  const analysis = await analyzeMessage(raw);
  const base = { deliveryId: target.deliveryId, kind: analysis.kind, category: analysis.category, status: analysis.status };
  const detail = { recipient: analysis.recipient, ...(analysis.originalMessageId ? { originalMessageId: analysis.originalMessageId } : {}) };
  switch (analysis.kind) {
    case "bounce":
      return {
        ...base,
        outcome: await applyFeedback(
          db,
          target.deliveryId,
          { kind: "bounce", category: analysis.category, hard: analysis.hard, status: analysis.status, diagnostic: analysis.diagnostic },
          { source: "inbound", detail },
        ),
      };
    case "delay":
      return { ...base, outcome: await applyFeedback(db, target.deliveryId, { kind: "delay", status: analysis.status, diagnostic: analysis.diagnostic }, { source: "inbound", detail }) };
    case "complaint":
      return { ...base, outcome: await applyFeedback(db, target.deliveryId, { kind: "complaint", feedbackType: analysis.feedbackType }, { source: "inbound", detail }) };
    case "auto_reply":
      return { ...base, outcome: await applyFeedback(db, target.deliveryId, { kind: "auto_reply", diagnostic: analysis.diagnostic }, { source: "inbound", detail }) };
    default:
      return { ...base, outcome: "ignored" };
  }
}

function findFeedbackAddress(candidates: string[]): { purpose: AddressPurpose; deliveryId: number | null; address: string } | null {
  let invalid: { purpose: AddressPurpose; deliveryId: null; address: string } | null = null;
  for (const candidate of candidates) {
    const parsed = parseFeedbackAddress(candidate);
    if (!parsed) continue;
    if (parsed.deliveryId !== null) return { ...parsed, address: candidate };
    invalid ??= { purpose: parsed.purpose, deliveryId: null, address: candidate };
  }
  return invalid;
}

/** Addresses in the top-level header's recipient fields, without parsing the body. */
function headerRecipients(raw: Buffer): string[] {
  const headers = parseHeaderBlock(splitHeadBody(toBinaryString(raw, MAX_HEADER_BLOCK_CHARS)).head);
  return RECIPIENT_HEADERS.flatMap((name) => (headers.get(name) ?? []).flatMap(recipientFieldAddresses));
}
