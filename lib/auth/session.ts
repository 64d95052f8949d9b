import "server-only";
import net from "node:net";
import { eq } from "drizzle-orm";
import { decode, encode, type JWT } from "next-auth/jwt";
import type { Executor } from "@/db/client";
import { departments, managerDepartments, users } from "@/db/schema";
import { readEnv } from "@/lib/config/env";
import { getSecrets } from "@/lib/config/secrets";
import type { Actor } from "@/lib/access/actor";

export const SESSION_MAX_AGE_SECONDS = 12 * 60 * 60;

export function secureCookies(): boolean {
  return readEnv().publicUrl?.startsWith("https://") ?? false;
}

export function sessionCookieName(): string {
  return `${secureCookies() ? "__Secure-" : ""}next-auth.session-token`;
}

/** Reads next-auth's session cookie, joining the chunks it splits large tokens into. */
export function sessionTokenFromCookies(get: (name: string) => string | undefined): string | undefined {
  const name = sessionCookieName();
  const whole = get(name);
  if (whole) return whole;
  const chunks: string[] = [];
  for (let index = 0; ; index++) {
    const chunk = get(`${name}.${index}`);
    if (!chunk) break;
    chunks.push(chunk);
  }
  return chunks.length > 0 ? chunks.join("") : undefined;
}

export type SessionClaims = JWT & { uid?: string; sv?: number };

export function encodeSessionToken(claims: SessionClaims): Promise<string> {
  return encode({ token: claims, secret: getSecrets().authSecret, maxAge: SESSION_MAX_AGE_SECONDS });
}

/**
 * The session's claims say who signed in; the database says what they may do now, so a
 * disabled user, a reset password or a changed role ends the session at once.
 */
export async function actorFromSessionToken(db: Executor, token: string | undefined, ip: string): Promise<Actor | null> {
  if (!token) return null;
  let claims: SessionClaims | null;
  try {
    claims = (await decode({ token, secret: getSecrets().authSecret })) as SessionClaims | null;
  } catch {
    return null;
  }
  if (!claims?.uid) return null;
  const [user] = await db
    .select({
      id: users.id,
      email: users.email,
      role: users.role,
      departmentId: users.departmentId,
      readsAllDepartments: users.readsAllDepartments,
      disabled: users.disabled,
      sessionVersion: users.sessionVersion,
      departmentDisabled: departments.disabled,
    })
    .from(users)
    .leftJoin(departments, eq(departments.id, users.departmentId))
    .where(eq(users.id, claims.uid));
  if (!user || user.disabled || user.departmentDisabled || user.sessionVersion !== claims.sv) return null;
  let readable: Actor["readable"] = "all";
  if (user.role === "department") readable = [user.departmentId!];
  if (user.role === "manager" && !user.readsAllDepartments) {
    const grants = await db
      .select({ departmentId: managerDepartments.departmentId })
      .from(managerDepartments)
      .where(eq(managerDepartments.userId, user.id));
    readable = grants.map((grant) => grant.departmentId);
  }
  return { kind: "user", id: user.id, label: user.email, role: user.role, departmentId: user.departmentId, readable, ip };
}

/**
 * The header through which the server tells the app the TCP peer's address: scripts/start.mjs sets
 * it from the socket on every request, overwriting any copy a client sent. Next itself only adds
 * `X-Forwarded-For` when the client sent none, so that header alone can be forged by anyone.
 */
export const PEER_HEADER = "x-fanout-peer";

let trusted: { key: readonly string[]; list: net.BlockList } | undefined;

function trustedProxies(): net.BlockList {
  const cidrs = readEnv().trustedProxies;
  if (trusted?.key !== cidrs) {
    const list = new net.BlockList();
    for (const cidr of cidrs) {
      const [address, bits] = cidr.split("/");
      list.addSubnet(address!, Number(bits), net.isIPv6(address!) ? "ipv6" : "ipv4");
    }
    trusted = { key: cidrs, list };
  }
  return trusted.list;
}

function isTrusted(list: net.BlockList, ip: string): boolean {
  return list.check(ip, net.isIPv6(ip) ? "ipv6" : "ipv4");
}

/** An address as written by a socket or a proxy, or null when it is not one. */
function normalizeIp(value: string | null | undefined): string | null {
  if (!value) return null;
  let ip = value.trim();
  if (ip.startsWith("[")) ip = ip.slice(1, ip.indexOf("]") > 0 ? ip.indexOf("]") : undefined);
  else if (/^[\d.]+:\d+$/.test(ip)) ip = ip.slice(0, ip.indexOf(":"));
  if (ip.toLowerCase().startsWith("::ffff:") && net.isIPv4(ip.slice(7))) ip = ip.slice(7);
  return net.isIP(ip) ? ip.toLowerCase() : null;
}

/**
 * The caller's address: the socket peer, unless FANOUT_TRUSTED_PROXIES says that peer is a proxy;
 * then X-Forwarded-For is walked from the right (the hops our own proxies appended) to the last hop
 * that is not a trusted proxy. Whatever a client wrote further left is never believed. Always an
 * IP address or "" (not served through scripts/start.mjs, so the peer is unknown).
 */
export function clientIp(headers: Pick<Headers, "get">): string {
  const peer = normalizeIp(headers.get(PEER_HEADER));
  if (!peer) return "";
  const proxies = trustedProxies();
  if (!isTrusted(proxies, peer)) return peer;
  const hops = (headers.get("x-forwarded-for") ?? "").split(",");
  let answer = peer;
  for (let index = hops.length - 1; index >= 0; index--) {
    const hop = normalizeIp(hops[index]);
    // A malformed hop was not written by a trusted proxy: stop at the last address one vouched for.
    if (!hop) break;
    answer = hop;
    if (!isTrusted(proxies, hop)) break;
  }
  return answer;
}
