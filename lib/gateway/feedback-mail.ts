import "server-only";
import type { Database } from "@/db/client";
import { parseFeedbackAddress } from "@/lib/tokens/delivery-addresses";
import { MAX_INBOUND_BYTES, receiveInboundMail } from "@/lib/feedback/inbound";
import { quoted, refuse, TRY_AGAIN_LATER, type SmtpRefusal } from "./replies";

/**
 * The half of the SMTP entrance (lib/gateway/entrance.ts) that takes mail coming back: bounces,
 * delay notices and complaints for `bounce+<token>@…` and mailed unsubscribes for
 * `unsubscribe+<token>@…` and replies for `reply+<token>@…`, from any server, without authentication — the signed token is the
 * credential, checked at RCPT so a forged or unknown one is refused with a reply that says so.
 * Anything else a client without AUTH addresses is a group address (group-mail.ts) or relaying.
 */

/** The largest such message taken (bounces quote the original; 10 MB is generous), whatever a submission may be. */
export const FEEDBACK_MAX_BYTES = MAX_INBOUND_BYTES;

/** At RCPT without AUTH, for an address of the return-path form: null when its token is valid, else the refusal. */
export function feedbackRecipientRefusal(address: string): SmtpRefusal | null {
  if (parseFeedbackAddress(address)?.deliveryId === null) return refuse(550, `5.1.1 ${quoted(address)}: unknown or forged token`);
  return null;
}

/** At the end of DATA: records the feedback and answers the 250 text, or throws the refusal (a failure of ours is logged and answered 451). */
export async function receiveFeedbackMail(db: Database, raw: Buffer, recipients: string[], log: (message: string, error: unknown) => void): Promise<string> {
  let result;
  try {
    result = await receiveInboundMail(db, raw, recipients, log);
  } catch (error) {
    log(`SMTP entrance: could not record a message for ${recipients.join(", ")}`, error);
    throw TRY_AGAIN_LATER();
  }
  if (result.outcome === "invalid_token" || result.outcome === "not_found") throw refuse(550, "5.1.1 The delivery this message names does not exist");
  return `2.0.0 Accepted (${result.outcome})`;
}
