import { expect, it } from "vitest";
import { setUserDisabled } from "@/lib/accounts/users";
import { systemActor } from "@/lib/auth/actor";
import { FAILURES_PER_ACCOUNT, FAILURES_PER_IP, signIn, SignInError } from "@/lib/auth/sign-in";
import { describeOnDatabases } from "../helpers/db";
import { rejection } from "../helpers/rejection";
import { makeDepartment, makeUser, TEST_PASSWORD, unique } from "../helpers/factories";

const failure = (run: Promise<unknown>) => rejection(run, SignInError);

describeOnDatabases("sign-in", (db) => {
  it("signs in with the right password, whatever the case of the address", async () => {
    const user = await makeUser(db(), "admin");
    const signedIn = await signIn(db(), user.email.toUpperCase(), TEST_PASSWORD, "192.0.2.1");
    expect(signedIn).toMatchObject({ id: user.id, role: "admin" });
  });

  it("answers a wrong password and an unknown account with the same words", async () => {
    const user = await makeUser(db(), "admin");
    const wrong = await failure(signIn(db(), user.email, "not the password", "192.0.2.2"));
    const unknown = await failure(signIn(db(), `${unique("nobody")}@example.com`, "whatever", "192.0.2.2"));
    expect(wrong.message).toBe("Wrong e-mail or password.");
    expect(unknown.message).toBe(wrong.message);
    expect(unknown.wire).toBe(wrong.wire);
    expect(unknown.code).toBe(wrong.code);
  });

  it("says an account is disabled only to someone who knows its password", async () => {
    const department = await makeDepartment(db());
    const user = await makeUser(db(), "department", { departmentId: department.id });
    await setUserDisabled({ db: db(), actor: systemActor("test") }, user.id, true);
    const withPassword = await failure(signIn(db(), user.email, TEST_PASSWORD, "192.0.2.3"));
    expect(withPassword.reason).toBe("disabled");
    expect(withPassword.message).toMatch(/disabled/);
    const withoutPassword = await failure(signIn(db(), user.email, "guess", "192.0.2.3"));
    expect(withoutPassword.reason).toBe("wrong_credentials");
  });

  it("locks an account for the rest of the minute at the tenth failure, for known and unknown accounts alike", async () => {
    const user = await makeUser(db(), "admin");
    const now = new Date("2026-11-25T08:00:00Z");
    for (const email of [user.email, `${unique("ghost")}@example.com`]) {
      const reasons: string[] = [];
      for (let attempt = 1; attempt <= FAILURES_PER_ACCOUNT; attempt++) {
        const at = new Date(now.getTime() + attempt * 1000);
        reasons.push((await failure(signIn(db(), email, "wrong", `198.51.100.${attempt}`, at))).reason);
      }
      expect(reasons.slice(0, FAILURES_PER_ACCOUNT - 1).every((reason) => reason === "wrong_credentials")).toBe(true);
      expect(reasons[FAILURES_PER_ACCOUNT - 1]).toBe("too_many");
      // Even the right password waits until the minute is over.
      const locked = await failure(signIn(db(), email, TEST_PASSWORD, "198.51.100.99", new Date(now.getTime() + 20_000)));
      expect(locked.reason).toBe("too_many");
      expect(locked.retryAfterSeconds).toBeGreaterThan(0);
      expect(locked.retryAfterSeconds).toBeLessThanOrEqual(60);
      expect(locked.message).toMatch(/Wait \d+ seconds/);
    }
    const later = await signIn(db(), user.email, TEST_PASSWORD, "198.51.100.99", new Date(now.getTime() + 75_000));
    expect(later.id).toBe(user.id);
  });

  it("limits failures per IP across accounts", async () => {
    const ip = "203.0.113.200";
    const now = new Date("2026-11-25T09:00:00Z");
    for (let attempt = 0; attempt < FAILURES_PER_IP; attempt++) {
      await failure(signIn(db(), `${unique("spray")}@example.com`, "wrong", ip, new Date(now.getTime() + attempt * 100)));
    }
    const user = await makeUser(db(), "admin");
    const blocked = await failure(signIn(db(), user.email, TEST_PASSWORD, ip, new Date(now.getTime() + 10_000)));
    expect(blocked.reason).toBe("too_many");
    const elsewhere = await signIn(db(), user.email, TEST_PASSWORD, "203.0.113.201", new Date(now.getTime() + 10_000));
    expect(elsewhere.id).toBe(user.id);
  });
});
