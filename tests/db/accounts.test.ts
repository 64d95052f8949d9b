import { eq, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { users } from "@/db/schema";
import { getCompanyAccount, updateCompanyAccount } from "@/lib/accounts/company";
import { createDepartment, listDepartments, updateDepartment } from "@/lib/accounts/departments";
import { changeUserRole, resetUserPassword, setUserDisabled } from "@/lib/accounts/users";
import { systemActor } from "@/lib/access/actor";
import { createApiKey, listApiKeys, revokeApiKey } from "@/lib/accounts/api-keys";
import { actorFromApiKey } from "@/lib/auth/api-keys";
import { actorFromSessionToken, encodeSessionToken } from "@/lib/auth/session";
import { AppError } from "@/lib/errors";
import { listAuditEntries } from "@/lib/audit/queries";
import { describeOnDatabases } from "../helpers/db";
import { rejection } from "../helpers/rejection";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";

const system = systemActor("test");

const errorOf = (run: Promise<unknown>) => rejection(run, AppError);

describeOnDatabases("company and departments", (db) => {
  it("keeps department allocations within the purchased total", async () => {
    await updateCompanyAccount({ db: db(), actor: system }, { name: "Acme", quotaTotal: 1000 });
    const a = await makeDepartment(db(), { quota: 600 });
    const refused = await errorOf(createDepartment({ db: db(), actor: system }, { name: unique("b"), quotaAllocated: 500 }));
    expect(refused.message).toMatch(/Only 400 of the company's 1000/);
    expect(await errorOf(updateCompanyAccount({ db: db(), actor: system }, { name: "Acme", quotaTotal: 500 }))).toMatchObject({
      code: "invalid_input",
    });
    await updateDepartment({ db: db(), actor: system }, a.id, { name: a.name, quotaAllocated: 1000 });
    const company = await getCompanyAccount({ db: db(), actor: system });
    expect(company).toMatchObject({ name: "Acme", quotaTotal: 1000, quotaRemaining: 1000, allocatedToDepartments: 1000 });
    await updateCompanyAccount({ db: db(), actor: system }, { name: "Acme", quotaTotal: null });
  });

  it("refuses a second department of the same name in another case", async () => {
    const name = unique("Support");
    await makeDepartment(db(), { name });
    const duplicate = await errorOf(createDepartment({ db: db(), actor: system }, { name: name.toUpperCase(), quotaAllocated: null }));
    expect(duplicate.code).toBe("conflict");
  });

  it("shows a department user only its own department", async () => {
    const mine = await makeDepartment(db());
    await makeDepartment(db());
    const user = await makeUser(db(), "department", { departmentId: mine.id });
    const { rows } = await listDepartments({ db: db(), actor: actorFor(user, "department", mine.id) });
    expect(rows.map((row) => row.id)).toEqual([mine.id]);
  });

  it("shows a manager only the granted departments", async () => {
    const granted = await makeDepartment(db());
    await makeDepartment(db());
    const manager = await makeUser(db(), "manager", { managed: [granted.id] });
    const { rows } = await listDepartments({ db: db(), actor: actorFor(manager, "manager", null, [granted.id]) });
    expect(rows.map((row) => row.id)).toEqual([granted.id]);
  });
});

describeOnDatabases("users and sessions", (db) => {
  it("ends a session when the user is disabled, the password reset or the role changed", async () => {
    const department = await makeDepartment(db());
    for (const change of ["disable", "reset", "role"] as const) {
      const user = await makeUser(db(), "department", { departmentId: department.id });
      const token = await encodeSessionToken({ uid: user.id, sv: 1 });
      expect(await actorFromSessionToken(db(), token, "192.0.2.1")).toMatchObject({ id: user.id, departmentId: department.id, readable: [department.id] });
      if (change === "disable") await setUserDisabled({ db: db(), actor: system }, user.id, true);
      if (change === "reset") await resetUserPassword({ db: db(), actor: system }, user.id, "a brand new password");
      if (change === "role") await changeUserRole({ db: db(), actor: system }, user.id, { role: "manager", readsAllDepartments: true });
      expect(await actorFromSessionToken(db(), token, "192.0.2.1"), change).toBeNull();
    }
  });

  it("refuses forged and tampered session tokens", async () => {
    const user = await makeUser(db(), "admin");
    const token = await encodeSessionToken({ uid: user.id, sv: 1 });
    expect(await actorFromSessionToken(db(), token, "")).not.toBeNull();
    const tampered = `${token.slice(0, -4)}${token.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`;
    expect(await actorFromSessionToken(db(), tampered, "")).toBeNull();
    expect(await actorFromSessionToken(db(), "eyJhbGciOiJub25lIn0.eyJ1aWQiOiJ4In0.", "")).toBeNull();
  });

  it("never leaves the company without an active admin", async () => {
    const [existing] = await db().select({ id: users.id }).from(users).where(eq(users.role, "admin")).limit(1);
    const only = existing ?? (await makeUser(db(), "admin"));
    const admins = await db().select({ id: users.id }).from(users).where(eq(users.role, "admin"));
    for (const other of admins.filter((row) => row.id !== only.id)) await setUserDisabled({ db: db(), actor: system }, other.id, true);
    expect((await errorOf(setUserDisabled({ db: db(), actor: system }, only.id, true))).code).toBe("conflict");
    expect((await errorOf(changeUserRole({ db: db(), actor: system }, only.id, { role: "manager" }))).code).toBe("conflict");
  });

  it("refuses a department user without a department and a short password", async () => {
    const noDepartment = await errorOf(makeUser(db(), "department"));
    expect(noDepartment.message).toMatch(/needs a department/);
    const department = await makeDepartment(db());
    const short = await errorOf(makeUser(db(), "department", { departmentId: department.id, password: "short" }));
    expect(short.message).toMatch(/at least 8/);
  });
});

describeOnDatabases("API keys", (db) => {
  it("stores only a hash, resolves the key to its department and stops at revocation", async () => {
    const department = await makeDepartment(db());
    const created = await createApiKey({ db: db(), actor: system }, { name: "crm", scope: { company: false, departmentId: department.id } });
    const stored = JSON.stringify(await queryRows(db(), sql`select * from api_keys`));
    expect(stored).not.toContain(created.secret);
    const actor = await actorFromApiKey(db(), created.secret, "192.0.2.5");
    expect(actor).toMatchObject({ kind: "apikey", role: "department", departmentId: department.id });
    expect(await actorFromApiKey(db(), `${created.secret}x`, "")).toBeNull();
    await revokeApiKey({ db: db(), actor: system }, created.id);
    expect(await actorFromApiKey(db(), created.secret, "")).toBeNull();
  });

  it("gives a company key the whole company", async () => {
    const created = await createApiKey({ db: db(), actor: system }, { scope: { company: true } });
    expect(await actorFromApiKey(db(), created.secret, "")).toMatchObject({ role: "admin", departmentId: null, readable: "all" });
  });

  it("lets a department user create keys only for its own department", async () => {
    const mine = await makeDepartment(db());
    const theirs = await makeDepartment(db());
    const user = await makeUser(db(), "department", { departmentId: mine.id });
    const actor = actorFor(user, "department", mine.id);
    await createApiKey({ db: db(), actor }, { scope: { company: false, departmentId: mine.id } });
    expect((await errorOf(createApiKey({ db: db(), actor }, { scope: { company: false, departmentId: theirs.id } }))).code).toBe("forbidden");
    expect((await errorOf(createApiKey({ db: db(), actor }, { scope: { company: true } }))).code).toBe("forbidden");
  });

  it("stops a departed user's keys: disabling revokes each, audited, and re-enabling does not bring them back", async () => {
    const department = await makeDepartment(db());
    const leaver = await makeUser(db(), "department", { departmentId: department.id });
    const admin = await makeUser(db(), "admin");
    const adminActor = actorFor(admin, "admin");
    const leaversKeys = [
      await createApiKey({ db: db(), actor: actorFor(leaver, "department", department.id) }, { name: "crm", scope: { company: false, departmentId: department.id } }),
      await createApiKey({ db: db(), actor: actorFor(leaver, "department", department.id) }, { name: "shop", scope: { company: false, departmentId: department.id } }),
    ];
    const colleaguesKey = await createApiKey({ db: db(), actor: adminActor }, { name: "erp", scope: { company: false, departmentId: department.id } });
    for (const key of leaversKeys) expect(await actorFromApiKey(db(), key.secret, "")).not.toBeNull();

    await setUserDisabled({ db: db(), actor: adminActor }, leaver.id, true);
    for (const key of leaversKeys) expect(await actorFromApiKey(db(), key.secret, "")).toBeNull();
    expect(await actorFromApiKey(db(), colleaguesKey.secret, "")).toMatchObject({ departmentId: department.id });
    const revocations = await listAuditEntries({ db: db(), actor: system }, { action: "apikey.revoke", operator: admin.email });
    expect(revocations.rows.map((row) => row.objectId).sort()).toEqual(leaversKeys.map((key) => key.id).sort());
    expect(revocations.rows[0]!.summary).toContain(`made by ${leaver.email}: the user was disabled`);
    const listed = await listApiKeys({ db: db(), actor: system });
    expect(listed.filter((key) => leaversKeys.some((mine) => mine.id === key.id)).every((key) => key.revokedAt !== null)).toBe(true);

    await setUserDisabled({ db: db(), actor: adminActor }, leaver.id, false);
    for (const key of leaversKeys) expect(await actorFromApiKey(db(), key.secret, "")).toBeNull();
  });

  it("refuses a key whose maker is disabled or gone, even one that escaped revocation", async () => {
    const department = await makeDepartment(db());
    const maker = await makeUser(db(), "department", { departmentId: department.id });
    const key = await createApiKey({ db: db(), actor: actorFor(maker, "department", department.id) }, { scope: { company: false, departmentId: department.id } });
    // A user disabled before revocation existed, their key still live.
    await db().update(users).set({ disabled: true }).where(eq(users.id, maker.id));
    expect(await actorFromApiKey(db(), key.secret, "")).toBeNull();
    await db().update(users).set({ disabled: false }).where(eq(users.id, maker.id));
    expect(await actorFromApiKey(db(), key.secret, "")).not.toBeNull();
    // Users are never deleted by Fanout (they are disabled), but a deleted row takes its keys with it.
    await db().delete(users).where(eq(users.id, maker.id));
    expect(await actorFromApiKey(db(), key.secret, "")).toBeNull();
    expect(await queryRows(db(), sql`select id from api_keys where id = ${key.id}`)).toEqual([]);
  });
});

describeOnDatabases("operation log", (db) => {
  it("shows department users only their department's entries and filters by action, operator and time", async () => {
    const mine = await makeDepartment(db());
    const theirs = await makeDepartment(db());
    const user = await makeUser(db(), "department", { departmentId: mine.id });
    const actor = actorFor(user, "department", mine.id);
    const mineKey = await createApiKey({ db: db(), actor }, { name: "mine", scope: { company: false, departmentId: mine.id } });
    await createApiKey({ db: db(), actor: system }, { name: "theirs", scope: { company: false, departmentId: theirs.id } });

    const visible = await listAuditEntries({ db: db(), actor }, {});
    expect(visible.rows.length).toBeGreaterThan(0);
    expect(visible.rows.every((row) => row.departmentId === mine.id)).toBe(true);
    expect(visible.rows.some((row) => row.objectId === mineKey.id)).toBe(true);

    const byAction = await listAuditEntries({ db: db(), actor: system }, { action: "apikey.create", operator: user.email });
    expect(byAction.rows.map((row) => row.objectId)).toEqual([mineKey.id]);
    expect(byAction.rows[0]).toMatchObject({ operatorLabel: user.email, ip: "203.0.113.9" });

    const future = await listAuditEntries({ db: db(), actor: system }, { from: new Date(Date.now() + 86_400_000) });
    expect(future.rows).toHaveLength(0);
  });
});
