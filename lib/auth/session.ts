import { eq } from "drizzle-orm";
import { decode, encode, type JWT } from "next-auth/jwt";
import type { Executor } from "@/db/client";
import { departments, managerDepartments, users } from "@/db/schema";
import { readEnv } from "@/lib/config/env";
import { getSecrets } from "@/lib/config/secrets";
import type { Actor } from "./actor";

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

/** The caller's address: the first hop of X-Forwarded-For (set by Next's server), else X-Real-IP. */
export function clientIp(headers: Pick<Headers, "get">): string {
  const forwarded = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  const ip = forwarded || headers.get("x-real-ip")?.trim() || "";
  return ip.replace(/^::ffff:/, "").slice(0, 64);
}
