import "server-only";
import { cookies, headers } from "next/headers";
import type { Executor } from "@/db/client";
import type { Actor } from "@/lib/access/actor";
import { actorFromSessionToken, clientIp, sessionTokenFromCookies } from "@/lib/auth/session";
import { limit, publicLimiter } from "./rate-limit";

/** The signed-in caller of the current request (server components and server actions). */
export async function sessionActor(db: Executor): Promise<Actor | null> {
  const [cookieStore, headerList] = await Promise.all([cookies(), headers()]);
  const token = sessionTokenFromCookies((name) => cookieStore.get(name)?.value);
  return actorFromSessionToken(db, token, clientIp(headerList));
}

/**
 * For the public server actions (the unsubscribe and confirm pages): the caller's IP, counted
 * against the same per-IP limit as the public routes; over it, a thrown 429 `rate_limited`.
 */
export async function publicActionIp(): Promise<string> {
  const ip = clientIp(await headers());
  limit(publicLimiter, ip);
  return ip;
}

/** The signed-in caller of a route handler's request. */
export function sessionActorFromRequest(db: Executor, request: Request): Promise<Actor | null> {
  const jar = parseCookies(request.headers.get("cookie") ?? "");
  return actorFromSessionToken(db, sessionTokenFromCookies((name) => jar.get(name)), clientIp(request.headers));
}

/** A Cookie header as name → value; a value that is not valid percent-encoding is kept as sent (it then fails as a token, never as a 500). */
function parseCookies(header: string): Map<string, string> {
  const jar = new Map<string, string>();
  for (const part of header.split(";")) {
    const index = part.indexOf("=");
    if (index <= 0) continue;
    jar.set(part.slice(0, index).trim(), decodeCookieValue(part.slice(index + 1).trim()));
  }
  return jar;
}

function decodeCookieValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
