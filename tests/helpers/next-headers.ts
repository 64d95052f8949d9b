/**
 * Stands in for `next/headers` outside a Next request: tests say which request is being
 * served (its cookies and client IP), and server actions read it as they would in Next.
 */
import { encodeSessionToken, sessionCookieName } from "@/lib/auth/session";

type FakeRequest = { cookies: Map<string, string>; headers: Headers };

let current: FakeRequest = { cookies: new Map(), headers: new Headers() };

export async function cookies() {
  return {
    get: (name: string) => (current.cookies.has(name) ? { name, value: current.cookies.get(name)! } : undefined),
  };
}

export async function headers() {
  return current.headers;
}

export function serveAnonymous(ip = "198.51.100.7") {
  current = { cookies: new Map(), headers: new Headers({ "x-fanout-peer": ip }) };
}

/** Serves the next calls as the signed-in user, with a real signed session token. */
export async function serveAs(user: { id: string; sessionVersion?: number }, ip = "198.51.100.7") {
  const token = await encodeSessionToken({ uid: user.id, sv: user.sessionVersion ?? 1 });
  current = { cookies: new Map([[sessionCookieName(), token]]), headers: new Headers({ "x-fanout-peer": ip }) };
  return token;
}

export function serveWithToken(token: string, ip = "198.51.100.7") {
  current = { cookies: new Map([[sessionCookieName(), token]]), headers: new Headers({ "x-fanout-peer": ip }) };
}
