import "server-only";
import { publicBaseUrl } from "@/lib/transports/system-mail";
import { signToken, verifyToken } from "./signed";
import { feedbackAddress } from "./delivery-addresses";

/**
 * The per-delivery links a message carries back to Fanout, made when it is sent and read when
 * someone follows one: the unsubscribe page (`/u/<token>`), the open pixel (`/t/o/<token>`) and
 * click tracking (`/t/c/<token>`). Each token is signed (./signed.ts) with a purpose of its own
 * and holds the delivery id, so ids cannot be guessed; the click token also holds the
 * destination, so the redirect goes only where the message linked. They never expire (people
 * click old mail) and carry nothing but the delivery and the URL, so a re-sent message is
 * byte-identical.
 */
export const UNSUBSCRIBE_PURPOSE = "unsubscribe";
const OPEN_PURPOSE = "open";
const CLICK_PURPOSE = "click";

/** verifyToken refuses longer tokens; a link whose token would be longer stays untracked. */
const MAX_TOKEN_LENGTH = 4000;

export type UnsubscribeLinks = ReturnType<typeof unsubscribeLinks>;

/**
 * The per-delivery links every message carries (API.md "Messages Fanout sends"): `url` is the
 * page a person sees (`{{ unsubscribe_url }}` in bodies), `oneClickUrl` the RFC 8058 endpoint the
 * List-Unsubscribe header names (mail providers POST to it), `mailto` the address for clients
 * that mail their unsubscribe.
 */
export function unsubscribeLinks(deliveryId: string, senderDomain: string) {
  const token = signToken(UNSUBSCRIBE_PURPOSE, { d: deliveryId });
  const url = `${publicBaseUrl()}/u/${token}`;
  return { url, oneClickUrl: `${url}/one-click`, mailto: `mailto:${feedbackAddress("unsubscribe", deliveryId, senderDomain)}` };
}

/** The delivery an unsubscribe token (`/u/<token>`) names; null when forged, altered or of another purpose. */
export function readUnsubscribeToken(token: string): number | null {
  return deliveryIdOf(verifyToken<{ d?: unknown }>(UNSUBSCRIBE_PURPOSE, token)?.d);
}

export function openPixelUrl(deliveryId: number | string): string {
  return `${publicBaseUrl()}/t/o/${openToken(deliveryId)}`;
}

export function clickUrl(deliveryId: number | string, url: string): string {
  return `${publicBaseUrl()}/t/c/${clickToken(deliveryId, url)}`;
}

/**
 * What a link of a delivery's message becomes under click tracking: its click URL, or the URL as
 * it was for the links left alone: the unsubscribe links (anything under `<base>/u/`: a scanner
 * following a wrapped unsubscribe link would be counted as a click, and the page is ours anyway),
 * links that already point at tracking, URLs no browser could follow, and those whose token would
 * be too long to read back.
 */
export function clickTracker(deliveryId: number | string): (url: string) => string {
  const base = publicBaseUrl();
  const unsubscribePrefix = `${base}/u/`;
  const trackingPrefix = `${base}/t/`;
  return (url) => {
    if (url.startsWith(unsubscribePrefix) || url.startsWith(trackingPrefix) || !URL.canParse(url)) return url;
    const token = clickToken(deliveryId, url);
    return token.length > MAX_TOKEN_LENGTH ? url : `${base}/t/c/${token}`;
  };
}

function openToken(deliveryId: number | string): string {
  return signToken(OPEN_PURPOSE, { d: Number(deliveryId) });
}

function clickToken(deliveryId: number | string, url: string): string {
  return signToken(CLICK_PURPOSE, { d: Number(deliveryId), u: url });
}

/** The delivery an open token names, or null when it is forged, altered or of another purpose. */
export function readOpenToken(token: string): number | null {
  return deliveryIdOf(verifyToken<{ d?: unknown }>(OPEN_PURPOSE, token)?.d);
}

/**
 * The delivery and destination of a click token: `url` as the message had it (what reports
 * show), `location` the same URL serialised for a Location header (IDN hosts in ASCII, other
 * characters percent-encoded).
 */
export function readClickToken(token: string): { deliveryId: number; url: string; location: string } | null {
  const payload = verifyToken<{ d?: unknown; u?: unknown }>(CLICK_PURPOSE, token);
  const deliveryId = deliveryIdOf(payload?.d);
  if (deliveryId === null || typeof payload?.u !== "string") return null;
  if (!URL.canParse(payload.u)) return null;
  const location = new URL(payload.u);
  if (location.protocol !== "https:" && location.protocol !== "http:") return null;
  return { deliveryId, url: payload.u, location: location.href };
}

/** A positive integer id, given as a number or a decimal string (the unsubscribe token has the latter). */
function deliveryIdOf(value: unknown): number | null {
  const id = typeof value === "number" ? value : typeof value === "string" && /^[1-9]\d{0,15}$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}
