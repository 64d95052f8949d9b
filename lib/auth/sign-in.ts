import "server-only";
import { and, count, eq, gt, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { departments, loginFailures, loginThrottles, users, type Role } from "@/db/schema";
import { recordAudit } from "@/lib/audit/record";
import { AppError } from "@/lib/errors";
import { PasswordWorkBusy, verifyPassword } from "./passwords";

/** Failed sign-ins one IP may make in a sliding window, across all accounts. */
export const FAILURES_PER_IP = 30;
export const FAILURE_WINDOW_SECONDS = 60;
/**
 * Per account, each checked attempt delays the next one: 1 s after the first failure in a
 * row, then 2, 4, 8, 16 and at most 30 s. A right password clears it; a run of failures
 * older than BACKOFF_FORGET_SECONDS is forgotten.
 */
export const BACKOFF_FIRST_SECONDS = 1;
export const BACKOFF_CAP_SECONDS = 30;
export const BACKOFF_FORGET_SECONDS = 15 * 60;
const LOGIN_FAILURES_KEPT_SECONDS = 60 * 60;
export const PRUNE_LOGIN_RECORDS_EVERY_MS = 60 * 60 * 1000;

export type SignInFailure = "wrong_credentials" | "disabled" | "too_many" | "busy";

const FAILURE_CODES = { wrong_credentials: "unauthorized", disabled: "forbidden", too_many: "rate_limited", busy: "rate_limited" } as const;
const FAILURE_REASONS = { wrong_credentials: "signInWrong", disabled: "signInDisabled", too_many: "signInTooMany", busy: "signInBusy" } as const;

/** A refused sign-in: the failure travels to the login form, which words it in the user's language. */
export class SignInError extends AppError {
  constructor(
    readonly failure: SignInFailure,
    readonly retryAfterSeconds = 0,
  ) {
    super(FAILURE_CODES[failure], FAILURE_REASONS[failure], failure === "too_many" ? { params: { seconds: retryAfterSeconds } } : {});
  }

  /** What next-auth hands to the browser: `too_many:42`, `busy`, `disabled`, `wrong_credentials`. */
  get wire(): string {
    return this.failure === "too_many" ? `too_many:${this.retryAfterSeconds}` : this.failure;
  }
}

export type SignedInUser = { id: string; email: string; name: string; role: Role; departmentId: string | null; sessionVersion: number };

function secondsUntil(at: Date, now: Date) {
  return Math.max(1, Math.ceil((at.getTime() - now.getTime()) / 1000));
}

/**
 * Writes the attempt as a failure of its IP first, then counts: of any number of parallel
 * attempts, the k-th to commit its row sees at least k rows, so no more than the limit get
 * through. Returns the row, which the caller removes when the attempt turns out not to fail.
 */
async function claimIpAttempt(db: Database, email: string, ip: string, now: Date): Promise<number> {
  const [attempt] = await db.insert(loginFailures).values({ email, ip, at: now }).returning({ id: loginFailures.id });
  const [recent] = await db
    .select({ value: count(), oldest: sql<string | Date | null>`min(${loginFailures.at})` })
    .from(loginFailures)
    .where(and(eq(loginFailures.ip, ip), gt(loginFailures.at, new Date(now.getTime() - FAILURE_WINDOW_SECONDS * 1000))));
  if ((recent?.value ?? 0) > FAILURES_PER_IP) {
    await forgetIpAttempt(db, attempt!.id);
    const oldest = recent?.oldest ? new Date(recent.oldest) : now;
    throw new SignInError("too_many", secondsUntil(new Date(oldest.getTime() + FAILURE_WINDOW_SECONDS * 1000), now));
  }
  return attempt!.id;
}

async function forgetIpAttempt(db: Database, id: number) {
  await db.delete(loginFailures).where(eq(loginFailures.id, id));
}

type AccountClaim = { failures: number; nextAttemptAt: Date };

/**
 * Takes the account's turn in one conditional upsert: only when its back-off has run out,
 * counting this attempt as a failure in advance (a right password clears it afterwards), so
 * of a parallel burst exactly one is checked and the rest are told how long to wait.
 */
async function claimAccountTurn(db: Database, account: string, now: Date): Promise<AccountClaim> {
  const forgotten = sql`${loginThrottles.nextAttemptAt} < ${new Date(now.getTime() - BACKOFF_FORGET_SECONDS * 1000)}`;
  const previousFailures = sql`(case when ${forgotten} then 0 else ${loginThrottles.failures} end)`;
  const [claimed] = await db
    .insert(loginThrottles)
    .values({ account, failures: 1, nextAttemptAt: new Date(now.getTime() + BACKOFF_FIRST_SECONDS * 1000) })
    .onConflictDoUpdate({
      target: loginThrottles.account,
      set: {
        failures: sql`${previousFailures} + 1`,
        nextAttemptAt: sql`${now.toISOString()}::timestamptz + make_interval(secs => least(${BACKOFF_CAP_SECONDS}::float8, ${BACKOFF_FIRST_SECONDS}::float8 * power(2::float8, least(${previousFailures}, 30))))`,
      },
      setWhere: sql`${loginThrottles.nextAttemptAt} <= ${now.toISOString()}::timestamptz`,
    })
    .returning({ failures: loginThrottles.failures, nextAttemptAt: loginThrottles.nextAttemptAt });
  if (claimed) return claimed;
  const [waiting] = await db.select({ nextAttemptAt: loginThrottles.nextAttemptAt }).from(loginThrottles).where(eq(loginThrottles.account, account));
  throw new SignInError("too_many", secondsUntil(waiting?.nextAttemptAt ?? now, now));
}

/** Gives the turn back when the password was never checked (the server was too busy). */
async function returnAccountTurn(db: Database, account: string, claim: AccountClaim, now: Date) {
  await db
    .update(loginThrottles)
    .set({ failures: sql`greatest(${loginThrottles.failures} - 1, 0)`, nextAttemptAt: now })
    .where(
      and(
        eq(loginThrottles.account, account),
        eq(loginThrottles.failures, claim.failures),
        eq(loginThrottles.nextAttemptAt, claim.nextAttemptAt),
      ),
    );
}

async function clearAccountBackOff(db: Database, account: string) {
  await db.delete(loginThrottles).where(eq(loginThrottles.account, account));
}

/**
 * Checks a sign-in. Unknown accounts and wrong passwords get the same answer and cost the
 * same time; "disabled" is only said to someone who knows the password.
 */
export async function signIn(db: Database, rawEmail: string, password: string, ip: string, now = new Date()): Promise<SignedInUser> {
  const email = rawEmail.trim().toLowerCase().slice(0, 320);
  const ipAttempt = await claimIpAttempt(db, email, ip, now);
  let turn: AccountClaim;
  try {
    turn = await claimAccountTurn(db, email, now);
  } catch (error) {
    await forgetIpAttempt(db, ipAttempt);
    throw error;
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
  let matches: boolean;
  try {
    matches = await verifyPassword(password, user?.passwordHash ?? null);
  } catch (error) {
    if (!(error instanceof PasswordWorkBusy)) throw error;
    await forgetIpAttempt(db, ipAttempt);
    await returnAccountTurn(db, email, turn, now);
    throw new SignInError("busy", 1);
  }
  if (!user || !matches) throw new SignInError("wrong_credentials");
  await forgetIpAttempt(db, ipAttempt);
  await clearAccountBackOff(db, email);
  if (user.disabled || user.departmentDisabled) throw new SignInError("disabled");
  await db.transaction(async (tx) => {
    await tx.update(users).set({ lastLoginAt: now }).where(eq(users.id, user.id));
    await recordAudit(
      tx,
      { kind: "user", id: user.id, label: user.email, role: user.role, departmentId: user.departmentId, readable: "all", ip },
      { action: "auth.sign_in", objectType: "user", objectId: user.id, departmentId: user.departmentId, summary: { key: "auth.signIn" } },
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

/**
 * Ends every session of the user the token belongs to by moving their session version on,
 * so a copy of the cookie stops working too. A token that is already stale changes nothing.
 */
export async function signOut(db: Database, claims: { uid?: string; sv?: number } | null | undefined, ip: string): Promise<boolean> {
  if (!claims?.uid || typeof claims.sv !== "number") return false;
  const { uid, sv } = claims;
  return db.transaction(async (tx) => {
    const [user] = await tx
      .update(users)
      .set({ sessionVersion: sql`${users.sessionVersion} + 1` })
      .where(and(eq(users.id, uid), eq(users.sessionVersion, sv)))
      .returning({ id: users.id, email: users.email, role: users.role, departmentId: users.departmentId });
    if (!user) return false;
    await recordAudit(
      tx,
      { kind: "user", id: user.id, label: user.email, role: user.role, departmentId: user.departmentId, readable: "all", ip },
      { action: "auth.sign_out", objectType: "user", objectId: user.id, departmentId: user.departmentId, summary: { key: "auth.signOut" } },
    );
    return true;
  });
}

/** Failures older than an hour and back-offs already forgotten only take space. */
export async function pruneLoginFailures(db: Database, now = new Date()): Promise<number> {
  const failures = await db
    .delete(loginFailures)
    .where(sql`${loginFailures.at} < ${new Date(now.getTime() - LOGIN_FAILURES_KEPT_SECONDS * 1000)}`)
    .returning({ id: loginFailures.id });
  const throttles = await db
    .delete(loginThrottles)
    .where(sql`${loginThrottles.nextAttemptAt} < ${new Date(now.getTime() - BACKOFF_FORGET_SECONDS * 1000)}`)
    .returning({ account: loginThrottles.account });
  return failures.length + throttles.length;
}

/** Runs pruneLoginFailures on an unref'd timer (the server's boot starts it); returns a stop. */
export function startLoginFailurePruning(db: Database, everyMs = PRUNE_LOGIN_RECORDS_EVERY_MS): () => void {
  const timer = setInterval(() => {
    pruneLoginFailures(db).catch((error) => console.error("[fanout] pruning sign-in records", error));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
