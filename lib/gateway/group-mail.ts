import "server-only";
import type { Database } from "@/db/client";
import { groupOfAddress, receiveGroupPost } from "@/lib/groups/intake";
import type { TxtResolver } from "@/lib/groups/dmarc";
import { quoted, refuse, type SmtpRefusal } from "./replies";

/**
 * The part of the SMTP entrance that takes mail for group addresses (lib/groups/intake.ts), from
 * any server and without AUTH, as mail for return paths is: at RCPT the address must be an enabled
 * group's, else it is relaying and refused; at the end of DATA the post is held, sent on, or
 * refused with the group's reason.
 */

/** At RCPT without AUTH, for an address that is not a return path: null when it is a group's. */
export async function groupRecipientRefusal(db: Database, address: string): Promise<SmtpRefusal | null> {
  if (await groupOfAddress(db, address)) return null;
  return refuse(550, `5.7.1 ${quoted(address)}: relaying denied; this server only takes mail for Fanout return paths and group addresses`);
}

/** At the end of DATA: the 250 text for the group addresses of the envelope, or the refusal of the first that refuses. */
export async function receiveGroupMail(db: Database, addresses: string[], mail: { raw: Buffer; envelopeFrom: string; clientIp: string }, resolver: TxtResolver): Promise<string> {
  const texts: string[] = [];
  for (const address of addresses) {
    const result = await receiveGroupPost(db, { ...mail, address }, resolver);
    if (result.outcome === "refused") throw refuse(result.status, result.text);
    texts.push(
      result.outcome === "sent"
        ? `2.0.0 Sent on to ${result.recipients} member(s) of ${quoted(address)}`
        : result.outcome === "held"
          ? `2.0.0 Held for a moderator of ${quoted(address)}`
          : `2.0.0 Accepted and not sent on (${result.outcome})`,
    );
  }
  return texts.join("; ");
}
