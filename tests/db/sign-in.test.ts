import bcrypt from "bcryptjs";
import { and, eq } from "drizzle-orm";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { auditLog, loginFailures, loginThrottles } from "@/db/schema";
import { setUserDisabled } from "@/lib/accounts/users";
import { systemActor } from "@/lib/access/actor";
import { authOptions } from "@/lib/auth/options";
import { PASSWORD_WORK_CONCURRENCY } from "@/lib/auth/passwords";
import { actorFromSessionToken, encodeSessionToken } from "@/lib/auth/session";
import {
  BACKOFF_CAP_SECONDS,
  BACKOFF_FORGET_SECONDS,
  FAILURES_PER_IP,
  pruneLoginFailures,
  signIn,
  SignInError,
  type SignInFailure,
} from "@/lib/auth/sign-in";
import { startPeriodicWork } from "@/lib/server/boot";
import { describeOnDatabases } from "../helpers/db";
import { serveAnonymous } from "../helpers/next-headers";
import { rejection } from "../helpers/rejection";
import { makeDepartment, makeUser, TEST_PASSWORD, unique } from "../helpers/factories";

vi.mock("next/headers", () => import("../helpers/next-headers"));

const failure = (run: Promise<unknown>) => rejection(run, SignInError);

/** What each of several sign-ins ended with: the user's id, or the reason it was refused. */
async function outcomes(attempts: Promise<{ id: string }>[]): Promise<Array<string | SignInFailure>> {
  const settled = await Promise.allSettled(attempts);
  return settled.map((result) => {
    if (result.status === "fulfilled") return result.value.id;
    if (result.reason instanceof SignInError) return result.reason.failure;
    throw result.reason;
  });
}

const tally = (values: string[]) => values.reduce<Record<string, number>>((sum, value) => ({ ...sum, [value]: (sum[value] ?? 0) + 1 }), {});

const seconds = (base: Date, offset: number) => new Date(base.getTime() + offset * 1000);

let ipCounter = 0;
/** A fresh address per attempt, so only the per-account limit is in play. */
const anotherIp = () => `198.18.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}`;

/** Counts password checks (bcrypt compare and hash) as they run, and the most at once. */
function watchPasswordWork() {
  const work = { started: 0, running: 0, peak: 0 };
  const original = { compare: bcrypt.compare, hash: bcrypt.hash };
  const watched = <Args extends unknown[], Result>(run: (...args: Args) => Promise<Result>) =>
    async (...args: Args) => {
      work.started++;
      work.running++;
      work.peak = Math.max(work.peak, work.running);
      try {
        return await run(...args);
      } finally {
        work.running--;
      }
    };
  vi.spyOn(bcrypt, "compare").mockImplementation(watched((password: string, hash: string) => original.compare(password, hash)) as typeof bcrypt.compare);
  vi.spyOn(bcrypt, "hash").mockImplementation(watched((password: string, rounds: number) => original.hash(password, rounds)) as typeof bcrypt.hash);
  return work;
}

describeOnDatabases("sign-in", (db) => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it("signs in with the right password, whatever the case of the address", async () => {
    const user = await makeUser(db(), "admin");
    const signedIn = await signIn(db(), user.email.toUpperCase(), TEST_PASSWORD, "192.0.2.1");
    expect(signedIn).toMatchObject({ id: user.id, role: "admin" });
  });

  it("answers a wrong password and an unknown account with the same words", async () => {
    const user = await makeUser(db(), "admin");
    const wrong = await failure(signIn(db(), user.email, "not the password", "192.0.2.2"));
    const unknown = await failure(signIn(db(), `${unique("nobody")}@example.com`, "whatever", "192.0.2.2"));
    expect(wrong.message).toBe("Wrong e-mail or password");
    expect(wrong.reason).toBe("signInWrong");
    expect(unknown.message).toBe(wrong.message);
    expect(unknown.wire).toBe(wrong.wire);
    expect(unknown.code).toBe(wrong.code);
  });

  it("says an account is disabled only to someone who knows its password", async () => {
    const department = await makeDepartment(db());
    const user = await makeUser(db(), "department", { departmentId: department.id });
    await setUserDisabled({ db: db(), actor: systemActor("test") }, user.id, true);
    const now = new Date();
    const withPassword = await failure(signIn(db(), user.email, TEST_PASSWORD, "192.0.2.3", now));
    expect(withPassword.failure).toBe("disabled");
    expect(withPassword.message).toMatch(/disabled/);
    const withoutPassword = await failure(signIn(db(), user.email, "guess", "192.0.2.3", seconds(now, 5)));
    expect(withoutPassword.failure).toBe("wrong_credentials");
  });

  it("checks one of 20 parallel wrong passwords for an account and tells the rest to wait, known account or not", async () => {
    const user = await makeUser(db(), "admin");
    for (const email of [user.email, `${unique("ghost")}@example.com`]) {
      const work = watchPasswordWork();
      const now = new Date("2026-11-25T07:00:00Z");
      const burst = Array.from({ length: 20 }, () => signIn(db(), email, "wrong guess", anotherIp(), now));
      const answers = await outcomes(burst);
      expect(tally(answers)).toEqual({ wrong_credentials: 1, too_many: 19 });
      expect(work.started).toBe(1);
      const refused = await failure(signIn(db(), email, "wrong guess", anotherIp(), now));
      expect(refused.retryAfterSeconds).toBe(1);
      expect(refused.wire).toBe("too_many:1");
      vi.restoreAllMocks();
    }
    // The owner, a second after the stranger's burst, gets in.
    const owner = await signIn(db(), user.email, TEST_PASSWORD, "192.0.2.50", seconds(new Date("2026-11-25T07:00:00Z"), 1));
    expect(owner.id).toBe(user.id);
  });

  it("backs off exponentially per account, up to half a minute, and a right password clears it", async () => {
    const user = await makeUser(db(), "admin");
    const start = new Date("2026-11-25T08:00:00Z");
    // A stranger keeps guessing, each time as soon as the account allows.
    let at = 0;
    const waits: number[] = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      expect((await failure(signIn(db(), user.email, "wrong", anotherIp(), seconds(start, at)))).failure).toBe("wrong_credentials");
      const early = await failure(signIn(db(), user.email, "wrong", anotherIp(), seconds(start, at)));
      expect(early.failure).toBe("too_many");
      waits.push(early.retryAfterSeconds);
      at += early.retryAfterSeconds;
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 30, 30, 30, 30, 30]);
    // The owner, arriving in the middle of the last wait, is held for less than the cap, not locked out for long.
    const held = await failure(signIn(db(), user.email, TEST_PASSWORD, "192.0.2.60", seconds(start, at - 10)));
    expect(held.failure).toBe("too_many");
    expect(held.retryAfterSeconds).toBeLessThanOrEqual(BACKOFF_CAP_SECONDS);
    expect((await signIn(db(), user.email, TEST_PASSWORD, "192.0.2.60", seconds(start, at))).id).toBe(user.id);
    // Signing in cleared the run: the next mistake costs a second again.
    await failure(signIn(db(), user.email, "typo", "192.0.2.60", seconds(start, at + 1)));
    expect((await failure(signIn(db(), user.email, "typo", "192.0.2.60", seconds(start, at + 1)))).retryAfterSeconds).toBe(1);
    // And a run of failures long ago is forgotten.
    const later = at + 3 + BACKOFF_FORGET_SECONDS;
    await failure(signIn(db(), user.email, "typo", "192.0.2.60", seconds(start, later)));
    expect((await failure(signIn(db(), user.email, "typo", "192.0.2.60", seconds(start, later)))).retryAfterSeconds).toBe(1);
  });

  it("limits failures per IP across accounts", async () => {
    const ip = "203.0.113.200";
    const now = new Date("2026-11-25T09:00:00Z");
    for (let attempt = 0; attempt < FAILURES_PER_IP; attempt++) {
      await failure(signIn(db(), `${unique("spray")}@example.com`, "wrong", ip, new Date(now.getTime() + attempt * 100)));
    }
    const user = await makeUser(db(), "admin");
    const blocked = await failure(signIn(db(), user.email, TEST_PASSWORD, ip, new Date(now.getTime() + 10_000)));
    expect(blocked.failure).toBe("too_many");
    expect(blocked.retryAfterSeconds).toBe(50);
    const elsewhere = await signIn(db(), user.email, TEST_PASSWORD, "203.0.113.201", new Date(now.getTime() + 10_000));
    expect(elsewhere.id).toBe(user.id);
  });

  it("holds the per-IP limit against a parallel burst across accounts", async () => {
    const work = watchPasswordWork();
    const ip = "203.0.113.210";
    const now = new Date("2026-11-25T09:30:00Z");
    const burst = Array.from({ length: 45 }, () => signIn(db(), `${unique("burst")}@example.com`, "wrong", ip, now));
    const answers = tally(await outcomes(burst));
    expect(answers.wrong_credentials ?? 0).toBeLessThanOrEqual(FAILURES_PER_IP);
    expect(work.started).toBe(answers.wrong_credentials ?? 0);
    expect(answers.too_many ?? 0).toBeGreaterThan(0);
    expect(await db().$count(loginFailures, eq(loginFailures.ip, ip))).toBe(answers.wrong_credentials ?? 0);
  });

  it("runs at most a few password checks at once and asks the rest of a burst to try again shortly, counting nothing against them", async () => {
    const people = await Promise.all(Array.from({ length: 30 }, () => makeUser(db(), "admin")));
    const work = watchPasswordWork();
    const now = new Date("2026-11-25T10:00:00Z");
    const answers = await outcomes(people.map((person) => signIn(db(), person.email, TEST_PASSWORD, anotherIp(), now)));
    expect(work.peak).toBeLessThanOrEqual(PASSWORD_WORK_CONCURRENCY);
    expect(work.peak).toBeGreaterThan(0);
    const busy = people.filter((_, index) => answers[index] === "busy");
    expect(busy.length).toBeGreaterThan(0);
    expect(answers.filter((answer) => answer !== "busy")).toEqual(people.filter((_, index) => answers[index] !== "busy").map((person) => person.id));
    const busyError = new SignInError("busy");
    expect([busyError.wire, busyError.code, busyError.message]).toEqual(["busy", "rate_limited", "Too many sign-ins at once. Try again in a moment"]);
    // A busy answer checked nothing, so it cost the account no back-off: the same instant, each gets in.
    for (const person of busy) expect((await signIn(db(), person.email, TEST_PASSWORD, anotherIp(), now)).id).toBe(person.id);
  });

  it("ends the session on sign-out, so a copy of the old cookie no longer authenticates", async () => {
    const user = await makeUser(db(), "department", { departmentId: (await makeDepartment(db())).id });
    const signedIn = await signIn(db(), user.email, TEST_PASSWORD, "192.0.2.70");
    const claims = { uid: user.id, sv: signedIn.sessionVersion };
    const cookie = await encodeSessionToken(claims);
    const copied = cookie;
    expect(await actorFromSessionToken(db(), cookie, "192.0.2.70")).toMatchObject({ id: user.id });
    // What next-auth's sign-out route calls with the decoded cookie.
    serveAnonymous("192.0.2.70");
    await authOptions().events!.signOut!({ token: claims, session: undefined as never });
    expect(await actorFromSessionToken(db(), copied, "198.51.100.66")).toBeNull();
    const [audit] = await db()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "auth.sign_out"), eq(auditLog.objectId, user.id)));
    expect(audit).toMatchObject({ operatorLabel: user.email, ip: "192.0.2.70" });
    // Signing in again works, and signing out with the stale cookie does not end the new session.
    const again = await signIn(db(), user.email, TEST_PASSWORD, "192.0.2.70");
    const fresh = await encodeSessionToken({ uid: user.id, sv: again.sessionVersion });
    await authOptions().events!.signOut!({ token: claims, session: undefined as never });
    expect(await actorFromSessionToken(db(), fresh, "192.0.2.70")).toMatchObject({ id: user.id });
  });
});

describeOnDatabases("sign-in records", (db) => {
  beforeEach(() => vi.useRealTimers());

  it("prunes failures older than an hour and forgotten back-offs", async () => {
    const now = new Date("2026-11-26T12:00:00Z");
    const ip = "192.0.2.90";
    await db()
      .insert(loginFailures)
      .values([
        { email: "old@example.com", ip, at: seconds(now, -2 * 3600) },
        { email: "recent@example.com", ip, at: seconds(now, -600) },
      ]);
    await db()
      .insert(loginThrottles)
      .values([
        { account: "old@example.com", failures: 7, nextAttemptAt: seconds(now, -BACKOFF_FORGET_SECONDS - 60) },
        { account: "recent@example.com", failures: 2, nextAttemptAt: seconds(now, -60) },
      ]);
    expect(await pruneLoginFailures(db(), now)).toBeGreaterThanOrEqual(2);
    expect((await db().select({ email: loginFailures.email }).from(loginFailures).where(eq(loginFailures.ip, ip))).map((row) => row.email)).toEqual([
      "recent@example.com",
    ]);
    const throttles = await db().select({ account: loginThrottles.account }).from(loginThrottles);
    expect(throttles.map((row) => row.account)).toContain("recent@example.com");
    expect(throttles.map((row) => row.account)).not.toContain("old@example.com");
  });

  it("is pruned hourly by the server's periodic work", async () => {
    const ip = "192.0.2.91";
    await db().insert(loginFailures).values({ email: "stale@example.com", ip, at: new Date(Date.now() - 2 * 3600_000) });
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const stop = startPeriodicWork(db());
    try {
      vi.advanceTimersByTime(59 * 60 * 1000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await db().$count(loginFailures, eq(loginFailures.ip, ip))).toBe(1);
      vi.advanceTimersByTime(60 * 1000);
      await vi.waitFor(async () => expect(await db().$count(loginFailures, eq(loginFailures.ip, ip))).toBe(0), { timeout: 5_000 });
    } finally {
      stop();
      vi.useRealTimers();
    }
  });
});
