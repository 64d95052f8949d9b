import "server-only";
import crypto from "node:crypto";
import { getSecrets } from "@/lib/config/secrets";

/**
 * Signed tokens for links in messages (confirmation, tracking, unsubscribe): the payload in
 * base64url JSON and an HMAC-SHA256 over purpose and payload with FANOUT_TOKEN_SECRET.
 */
export function signToken(purpose: string, payload: Record<string, unknown>, ttlSeconds?: number): string {
  const body = Buffer.from(JSON.stringify(ttlSeconds ? { ...payload, exp: Math.floor(Date.now() / 1000) + ttlSeconds } : payload)).toString("base64url");
  return `${body}.${mac(purpose, body)}`;
}

export function verifyToken<T extends Record<string, unknown>>(purpose: string, token: string): T | null {
  if (typeof token !== "string" || token.length > 4096) return null;
  const [body, signature, extra] = token.split(".");
  if (!body || !signature || extra !== undefined) return null;
  const expected = Buffer.from(mac(purpose, body));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) return null;
  try {
    const payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as T & { exp?: number };
    if (typeof payload !== "object" || payload === null) return null;
    if (payload.exp !== undefined && payload.exp < Date.now() / 1000) return null;
    return payload;
  } catch {
    return null;
  }
}

function mac(purpose: string, body: string) {
  return crypto.createHmac("sha256", getSecrets().tokenSecret).update(`${purpose}.${body}`).digest("base64url");
}
