import "server-only";
import crypto from "node:crypto";
import { getSecrets } from "@/lib/config/secrets";
import { mailHosts } from "@/lib/senders/dns";

/**
 * Per-delivery mail addresses that come back to Fanout: the return path of every message (VERP,
 * `bounce+<token>@…`, where asynchronous bounces arrive) and the mailto unsubscribe address
 * (`unsubscribe+<token>@…`), and the Reply-To of a task that collects replies (`reply+<token>@…`). The token is the delivery id in base 36 and 80 bits of an HMAC over
 * purpose and id, all lower case: short enough for the 64-octet local part, and unharmed by mail
 * systems that fold the case of local parts.
 */
export type AddressPurpose = "bounce" | "unsubscribe" | "reply";

const TOKEN = /^([0-9a-z]{1,12})-([0-9a-f]{20})$/;

export function addressToken(purpose: AddressPurpose, deliveryId: number | string): string {
  const id = Number(deliveryId).toString(36);
  return `${id}-${mac(purpose, id)}`;
}

/** The delivery id a token names, or null when it is malformed or its signature is wrong. */
export function readAddressToken(purpose: AddressPurpose, token: string): number | null {
  const match = TOKEN.exec(token.toLowerCase());
  if (!match) return null;
  const expected = Buffer.from(mac(purpose, match[1]!));
  if (!crypto.timingSafeEqual(expected, Buffer.from(match[2]!))) return null;
  const id = parseInt(match[1]!, 36);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

function mac(purpose: AddressPurpose, id: string): string {
  return crypto.createHmac("sha256", getSecrets().tokenSecret).update(`address.${purpose}.${id}`).digest("hex").slice(0, 20);
}

/** The host these addresses live on: the configured return-path host, else the sender's own domain. */
export function returnPathDomain(senderDomain: string): string {
  const target = mailHosts().returnPathTarget;
  return target.includes(".") ? target : senderDomain;
}

export function feedbackAddress(purpose: AddressPurpose, deliveryId: number | string, senderDomain: string): string {
  return `${purpose}+${addressToken(purpose, deliveryId)}@${returnPathDomain(senderDomain)}`;
}

/** Reads `bounce+<token>@…` / `unsubscribe+<token>@…` / `reply+<token>@…` from an address; null when it is none of them. */
export function parseFeedbackAddress(address: string): { purpose: AddressPurpose; deliveryId: number | null } | null {
  const match = /^(bounce|unsubscribe|reply)\+([^@]+)@/i.exec(address.trim().replace(/^<|>$/g, ""));
  if (!match) return null;
  const purpose = match[1]!.toLowerCase() as AddressPurpose;
  return { purpose, deliveryId: readAddressToken(purpose, match[2]!) };
}
