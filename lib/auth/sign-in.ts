import { and, count, eq, gt, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { departments, loginFailures, users, type Role } from "@/db/schema";
import { recordAudit } from "@/lib/audit/record";
import { AppError } from "@/lib/errors";
import { verifyPassword } from "./passwords";

export const FAILURES_PER_ACCOUNT = 10;
export const FAILURES_PER_IP = 30;
export const FAILURE_WINDOW_SECONDS = 60;

export const SIGN_IN_MESSAGES = {
  wrongCredentials: "Wrong e-mail or password.",
  disabled: "This account is disabled. Ask your administrator to enable it.",
  tooMany: (seconds: number) => `Too many failed sign-ins. Wait ${seconds} seconds and try again.`,
} as const;

export type SignInFailure = "wrong_credentials" | "disabled" | "too_many";

/** A refused sign-in: the reason travels to the login form, which words it in the user's language. */
export class SignInError extends AppError {
  constructor(
    readonly reason: SignInFailure,
    readonly retryAfterSeconds = 0,
  ) {
    super(
      reason === "too_many" ? "rate_limited" : reason === "disabled" ? "forbidden" : "unauthorized",
      reason === "too_many"
        ? SIGN_IN_MESSAGES.tooMany(retryAfterSeconds)
        : reason === "disabled"
          ? SIGN_IN_MESSAGES.disabled
          : SIGN_IN_MESSAGES.wrongCredentials,
    );
  }

  /** What next-auth hands to the browser: `too_many:42`, `disabled`, `wrong_credentials`. */
  get wire(): string {
    return this.reason === "too_many" ? `too_many:${this.retryAfterSeconds}` : this.reason;
  }
}

export type SignedInUser = { id: string; email: string; name: string; role: Role; departmentId: string | null; sessionVersion: number };

function windowStart(now: Date) {
  return new Date(now.getTime() - FAILURE_WINDOW_SECONDS * 1000);
}

async function recentFailures(db: Database, email: string, ip: string, now: Date) {
  const since = windowStart(now);
  const [byAccount] = await db
    .select({ value: count(), oldest: sql<string | null>`min(${loginFailures.at})` })
    .from(loginFailures)
    .where(and(sql`lower(${loginFailures.email}) = ${email}`, gt(loginFailures.at, since)));
  const [byIp] = await db
    .select({ value: count(), oldest: sql<string | null>`min(${loginFailures.at})` })
    .from(loginFailures)
    .where(and(eq(loginFailures.ip, ip), gt(loginFailures.at, since)));
  return { byAccount, byIp };
}

function tooMany(oldest: string | null | undefined, now: Date) {
  const oldestAt = oldest ? new Date(oldest).getTime() : now.getTime();
  const wait = Math.max(1, Math.ceil((oldestAt + FAILURE_WINDOW_SECONDS * 1000 - now.getTime()) / 1000));
  return new SignInError("too_many", wait);
}

/**
 * Checks a sign-in. Unknown accounts and wrong passwords get the same answer and cost the
 * same time; "disabled" is only said to someone who knows the password.
 */
export async function signIn(db: Database, rawEmail: string, password: string, ip: string, now = new Date()): Promise<SignedInUser> {
  const email = rawEmail.trim().toLowerCase().slice(0, 320);
  const before = await recentFailures(db, email, ip, now);
  if ((before.byAccount?.value ?? 0) >= FAILURES_PER_ACCOUNT) {
    throw tooMany(before.byAccount?.oldest, now);
  }
  if ((before.byIp?.value ?? 0) >= FAILURES_PER_IP) {
    throw tooMany(before.byIp?.oldest, now);
  }
  const [user] = await db
    .select({
      id: users.id,
      email: users.email,
      name: users.name,
      role: users.role,
      departmentId: users.departmentId,
      passwordHash: users.passwordHash,
      disabled: users.disabled,
      departmentDisabled: departments.disabled,
      sessionVersion: users.sessionVersion,
    })
    .from(users)
    .leftJoin(departments, eq(departments.id, users.departmentId))
    .where(sql`lower(${users.email}) = ${email}`);
  const matches = await verifyPassword(password, user?.passwordHash ?? null);
  if (!user || !matches) {
    await db.insert(loginFailures).values({ email, ip, at: now });
    if ((before.byAccount?.value ?? 0) + 1 >= FAILURES_PER_ACCOUNT) {
      throw tooMany(before.byAccount?.oldest, now);
    }
    throw new SignInError("wrong_credentials");
  }
  if (user.disabled || user.departmentDisabled) throw new SignInError("disabled");
  await db.transaction(async (tx) => {
    await tx.update(users).set({ lastLoginAt: now }).where(eq(users.id, user.id));
    await recordAudit(
      tx,
      { kind: "user", id: user.id, label: user.email, role: user.role, departmentId: user.departmentId, readable: "all", ip },
      { action: "auth.sign_in", objectType: "user", objectId: user.id, departmentId: user.departmentId, summary: `Signed in` },
    );
  });
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    departmentId: user.departmentId,
    sessionVersion: user.sessionVersion,
  };
}

/** Old failures only matter for a minute; keep the table small. */
export async function pruneLoginFailures(db: Database, now = new Date()) {
  await db.delete(loginFailures).where(sql`${loginFailures.at} < ${new Date(now.getTime() - 3600_000)}`);
}
