import bcrypt from "bcryptjs";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, smtpAccounts, tasks } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import { AppError } from "@/lib/errors";
import { ipInRanges, parseIpRanges } from "@/lib/gateway/ip-ranges";
import {
  changeSmtpAccountPassword,
  createSmtpAccount,
  deleteSmtpAccount,
  listSmtpAccounts,
  loadSmtpAccount,
  setSmtpAccountDisabled,
  setSmtpAccountLimits,
} from "@/lib/gateway/smtp-accounts";
import { createSender } from "@/lib/senders/senders";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";
import { rejection } from "../helpers/rejection";
import { addVerifiedDomain } from "../helpers/sending";

const PASSWORD = "client password 1";

describe("client IP ranges of an SMTP account", () => {
  it("reads addresses and CIDRs however they are separated, and names the entry it cannot read", () => {
    expect(parseIpRanges(" 10.0.0.0/8,203.0.113.7\n2001:DB8::/32 ; 10.0.0.0/8 ")).toEqual(["10.0.0.0/8", "203.0.113.7/32", "2001:db8::/32"]);
    expect(parseIpRanges("  ")).toBeNull();
    expect(parseIpRanges([])).toBeNull();
    for (const bad of ["10.0.0.0/33", "10.0.0/8", "example.com", "::1/129", "10.0.0.1/8x", "1.2.3.4/-1"]) {
      const error = (() => {
        try {
          parseIpRanges(`192.0.2.0/24, ${bad}`);
        } catch (caught) {
          return caught as AppError;
        }
      })();
      expect(error, bad).toBeInstanceOf(AppError);
      expect(error!.details).toEqual({ field: "allowedIps" });
      expect(error!.message).toContain(`"${bad}"`);
    }
  });

  it("matches IPv4 (also as seen on an IPv6 socket) and IPv6 clients; no ranges allows all", () => {
    const ranges = parseIpRanges("10.0.0.0/8, 2001:db8::/32")!;
    expect(ipInRanges(ranges, "10.200.3.4")).toBe(true);
    expect(ipInRanges(ranges, "::ffff:10.1.1.1")).toBe(true);
    expect(ipInRanges(ranges, "11.0.0.1")).toBe(false);
    expect(ipInRanges(ranges, "2001:db8::5")).toBe(true);
    expect(ipInRanges(ranges, "2001:db9::5")).toBe(false);
    expect(ipInRanges(ranges, "not an ip")).toBe(false);
    expect(ipInRanges(null, "198.51.100.1")).toBe(true);
    expect(ipInRanges([], "198.51.100.1")).toBe(true);
  });
});

describeOnDatabases("department SMTP accounts", (db) => {
  async function department() {
    const dept = await makeDepartment(db());
    const user = await makeUser(db(), "department", { departmentId: dept.id });
    return { ...dept, ctx: { db: db(), actor: actorFor(user, "department", dept.id) } };
  }

  async function auditOf(id: string) {
    return db().select().from(auditLog).where(eq(auditLog.objectId, id)).orderBy(auditLog.id);
  }

  it("creates an account with a given password, stores only its bcrypt hash, and refuses the name twice naming the field", async () => {
    const sales = await department();
    const username = `${unique("Sales.Desk")}@Example.com`;
    const created = await createSmtpAccount(sales.ctx, { username, password: PASSWORD });
    expect(created.password).toBeNull();
    expect(created.username).toBe(username.toLowerCase());
    const [row] = await db().select().from(smtpAccounts).where(eq(smtpAccounts.id, created.id));
    expect(row).toMatchObject({ departmentId: sales.id, username: username.toLowerCase(), disabled: false, tracking: true, messagesPerMinute: null, allowedIps: null });
    expect(row!.passwordHash).toMatch(/^\$2[aby]\$\d{2}\$/);
    expect(row!.passwordHash).not.toContain(PASSWORD);
    expect(await bcrypt.compare(PASSWORD, row!.passwordHash)).toBe(true);

    // The same name in another case, from another department, is still the same name.
    const support = await department();
    const duplicate = await rejection(createSmtpAccount(support.ctx, { username: username.toUpperCase(), password: PASSWORD }), AppError);
    expect(duplicate.code).toBe("conflict");
    expect(duplicate.status).toBe(409);
    expect(duplicate.details).toEqual({ field: "username" });
    expect(duplicate.message).toBe(`"${username.toLowerCase()}" is already taken by another SMTP account`);

    // Two creations of one new name at once: both pass the early check, the unique index picks one.
    const raced = unique("race");
    const outcomes = await Promise.allSettled([createSmtpAccount(sales.ctx, { username: raced, password: PASSWORD }), createSmtpAccount(support.ctx, { username: raced, password: PASSWORD })]);
    expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
    const lost = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected")!.reason as AppError;
    expect(lost).toMatchObject({ code: "conflict", details: { field: "username" } });

    const [entry] = await auditOf(created.id);
    expect(entry).toMatchObject({ action: "smtp_account.create", objectType: "smtp_account", departmentId: sales.id, operatorLabel: sales.ctx.actor.label });
    expect(entry!.summary).toContain(username.toLowerCase());
    expect(JSON.stringify(entry)).not.toContain(PASSWORD);
  });

  it("refuses bad names, short passwords and bad limits, each naming its field, before anything is written", async () => {
    const sales = await department();
    const cases: [Parameters<typeof createSmtpAccount>[1], string][] = [
      [{ username: "ab", password: PASSWORD }, "username"],
      [{ username: "has space", password: PASSWORD }, "username"],
      [{ username: "x".repeat(65), password: PASSWORD }, "username"],
      [{ username: "名字abc", password: PASSWORD }, "username"],
      [{ username: unique("short"), password: "1234567" }, "password"],
      [{ username: unique("long"), password: "x".repeat(73) }, "password"],
      [{ username: unique("rate"), password: PASSWORD, messagesPerMinute: 0 }, "messagesPerMinute"],
      [{ username: unique("rate"), password: PASSWORD, messagesPerMinute: 2.5 }, "messagesPerMinute"],
      [{ username: unique("rcpt"), password: PASSWORD, maxRecipients: 10_001 }, "maxRecipients"],
      [{ username: unique("ips"), password: PASSWORD, allowedIps: "10.0.0.0/40" }, "allowedIps"],
    ];
    for (const [input, field] of cases) {
      const error = await rejection(createSmtpAccount(sales.ctx, input), AppError);
      expect(error.code, JSON.stringify(input)).toBe("invalid_input");
      expect(error.details, JSON.stringify(input)).toEqual({ field });
    }
    const unknown = await rejection(createSmtpAccount({ db: db(), actor: systemActor("test") }, { departmentId: crypto.randomUUID(), username: unique("orphan"), password: PASSWORD }), AppError);
    expect(unknown).toMatchObject({ code: "invalid_input", message: "That department does not exist", details: { field: "departmentId" } });
    const malformed = await rejection(createSmtpAccount({ db: db(), actor: systemActor("test") }, { departmentId: "42", username: unique("orphan"), password: PASSWORD }), AppError);
    expect(malformed.code).toBe("invalid_input");
    const missing = await rejection(createSmtpAccount({ db: db(), actor: systemActor("test") }, { username: unique("orphan"), password: PASSWORD }), AppError);
    expect(missing.details).toEqual({ field: "departmentId" });
    expect((await listSmtpAccounts(sales.ctx)).total).toBe(0);
  });

  it("generates a password when none is given and returns it once; changing it does the same", async () => {
    const sales = await department();
    const created = await createSmtpAccount(sales.ctx, { username: unique("gen") });
    expect(created.password).toMatch(/^[A-Za-z0-9]{20}$/);
    const [row] = await db().select({ hash: smtpAccounts.passwordHash }).from(smtpAccounts).where(eq(smtpAccounts.id, created.id));
    expect(await bcrypt.compare(created.password!, row!.hash)).toBe(true);
    // Nothing that reads an account hands the password or its hash back.
    const listed = await listSmtpAccounts(sales.ctx);
    expect(JSON.stringify(listed)).not.toContain(created.password!);
    expect(JSON.stringify(listed)).not.toContain(row!.hash);
    expect(JSON.stringify(await loadSmtpAccount(sales.ctx, created.id))).not.toContain(row!.hash);

    const changed = await changeSmtpAccountPassword(sales.ctx, created.id);
    expect(changed.password).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(changed.password).not.toBe(created.password);
    const set = await changeSmtpAccountPassword(sales.ctx, created.id, "chosen by hand");
    expect(set.password).toBeNull();
    const [after] = await db().select({ hash: smtpAccounts.passwordHash }).from(smtpAccounts).where(eq(smtpAccounts.id, created.id));
    expect(await bcrypt.compare("chosen by hand", after!.hash)).toBe(true);
    expect(await bcrypt.compare(changed.password!, after!.hash)).toBe(false);
    const short = await rejection(changeSmtpAccountPassword(sales.ctx, created.id, "short"), AppError);
    expect(short.details).toEqual({ field: "password" });

    const entries = await auditOf(created.id);
    expect(entries.map((entry) => entry.action)).toEqual(["smtp_account.create", "smtp_account.password", "smtp_account.password"]);
    const logged = JSON.stringify(entries);
    for (const secret of [created.password!, changed.password!, "chosen by hand", after!.hash]) expect(logged).not.toContain(secret);
  });

  it("disables, enables and sets limits, audited, and says which field is wrong", async () => {
    const sales = await department();
    const { id } = await createSmtpAccount(sales.ctx, { username: unique("limits"), password: PASSWORD });
    await setSmtpAccountDisabled(sales.ctx, id, true);
    await setSmtpAccountDisabled(sales.ctx, id, true);
    expect((await loadSmtpAccount(sales.ctx, id)).disabled).toBe(true);
    await setSmtpAccountDisabled(sales.ctx, id, false);

    const limits = await setSmtpAccountLimits(sales.ctx, id, { messagesPerMinute: 30, maxRecipients: 200, allowedIps: "192.0.2.0/24\n198.51.100.9", tracking: false });
    expect(limits).toEqual({ messagesPerMinute: 30, maxRecipients: 200, allowedIps: ["192.0.2.0/24", "198.51.100.9/32"], tracking: false });
    expect(await loadSmtpAccount(sales.ctx, id)).toMatchObject(limits);
    const bad = await rejection(setSmtpAccountLimits(sales.ctx, id, { messagesPerMinute: -1 }), AppError);
    expect(bad).toMatchObject({ code: "invalid_input", details: { field: "messagesPerMinute" } });
    const badIp = await rejection(setSmtpAccountLimits(sales.ctx, id, { allowedIps: ["192.0.2.0/24", "192.0.2.300"] }), AppError);
    expect(badIp.message).toBe('"192.0.2.300" is not an IPv4 or IPv6 address or CIDR range');
    expect(await loadSmtpAccount(sales.ctx, id)).toMatchObject(limits);
    // Clearing them: empty is no limit, tracking back on.
    expect(await setSmtpAccountLimits(sales.ctx, id, { allowedIps: "", tracking: true })).toEqual({ messagesPerMinute: null, maxRecipients: null, allowedIps: null, tracking: true });

    const entries = await auditOf(id);
    expect(entries.map((entry) => entry.action)).toEqual(["smtp_account.create", "smtp_account.disable", "smtp_account.enable", "smtp_account.limits", "smtp_account.limits"]);
    expect(entries[3]!.summary).toContain("30 messages a minute, 200 recipients a message, clients from 192.0.2.0/24, 198.51.100.9/32, tracking off");
    expect(entries.every((entry) => entry.departmentId === sales.id)).toBe(true);
  });

  it("deletes an account that never submitted, keeps one whose tasks name it, audited", async () => {
    const sales = await department();
    const spare = await createSmtpAccount(sales.ctx, { username: unique("spare"), password: PASSWORD });
    await deleteSmtpAccount(sales.ctx, spare.id);
    expect(await db().select().from(smtpAccounts).where(eq(smtpAccounts.id, spare.id))).toEqual([]);
    expect((await auditOf(spare.id)).map((entry) => entry.action)).toEqual(["smtp_account.create", "smtp_account.delete"]);
    expect((await rejection(loadSmtpAccount(sales.ctx, spare.id), AppError)).code).toBe("not_found");

    const used = await createSmtpAccount(sales.ctx, { username: unique("used"), password: PASSWORD });
    const system = { db: db(), actor: systemActor("test") };
    const domain = await addVerifiedDomain(system, `${unique("smtp")}.example.com`, sales.id);
    const sender = await createSender(system, { departmentId: sales.id, address: `desk@${domain.domain}` });
    await db().insert(tasks).values({ departmentId: sales.id, name: "submitted", kind: "smtp", smtpAccountId: used.id, templateVersion: 0, senderId: sender.id, status: "completed", scheduledAt: new Date() });
    const refused = await rejection(deleteSmtpAccount(sales.ctx, used.id), AppError);
    expect(refused.code).toBe("conflict");
    expect(refused.message).toContain("submitted 1 task(s); disable it instead");
    expect(await db().select({ id: smtpAccounts.id }).from(smtpAccounts).where(eq(smtpAccounts.id, used.id))).toHaveLength(1);
    expect((await auditOf(used.id)).map((entry) => entry.action)).toEqual(["smtp_account.create"]);
  });

  it("keeps a department user to its own department, lets managers read only, and admins do all", async () => {
    const sales = await department();
    const support = await department();
    const theirs = await createSmtpAccount(support.ctx, { username: unique("theirs"), password: PASSWORD });
    const mine = await createSmtpAccount(sales.ctx, { username: unique("mine"), password: PASSWORD });

    // Sales sees only its own; every change to Support's account is refused and changes nothing.
    const visible = await listSmtpAccounts(sales.ctx);
    expect(visible.rows.map((row) => row.id)).toEqual([mine.id]);
    expect((await listSmtpAccounts(sales.ctx, { departmentId: support.id })).rows).toEqual([]);
    const before = await db().select().from(smtpAccounts).where(eq(smtpAccounts.id, theirs.id));
    const attempts = [
      () => loadSmtpAccount(sales.ctx, theirs.id),
      () => changeSmtpAccountPassword(sales.ctx, theirs.id, "taken over!"),
      () => setSmtpAccountDisabled(sales.ctx, theirs.id, true),
      () => setSmtpAccountLimits(sales.ctx, theirs.id, { maxRecipients: 1 }),
      () => deleteSmtpAccount(sales.ctx, theirs.id),
      () => createSmtpAccount(sales.ctx, { departmentId: support.id, username: unique("planted"), password: PASSWORD }),
    ];
    for (const attempt of attempts) expect((await rejection(attempt(), AppError)).code).toBe("forbidden");
    expect(await db().select().from(smtpAccounts).where(eq(smtpAccounts.id, theirs.id))).toEqual(before);
    // An id that is no account, or not an id, is "not found" for everyone.
    expect((await rejection(setSmtpAccountDisabled(sales.ctx, crypto.randomUUID(), true), AppError)).code).toBe("not_found");
    expect((await rejection(deleteSmtpAccount(sales.ctx, "'; drop table smtp_accounts"), AppError)).code).toBe("not_found");

    const manager = await makeUser(db(), "manager", { managed: [support.id] });
    const managerCtx = { db: db(), actor: actorFor(manager, "manager", null, [support.id]) };
    expect((await listSmtpAccounts(managerCtx)).rows.map((row) => row.id)).toEqual([theirs.id]);
    expect((await loadSmtpAccount(managerCtx, theirs.id)).username).toBe(theirs.username);
    for (const attempt of [
      () => createSmtpAccount(managerCtx, { departmentId: support.id, username: unique("boss"), password: PASSWORD }),
      () => changeSmtpAccountPassword(managerCtx, theirs.id),
      () => setSmtpAccountDisabled(managerCtx, theirs.id, true),
      () => setSmtpAccountLimits(managerCtx, theirs.id, { maxRecipients: 5 }),
      () => deleteSmtpAccount(managerCtx, theirs.id),
    ]) {
      expect((await rejection(attempt(), AppError)).code).toBe("forbidden");
    }
    expect(await db().select().from(smtpAccounts).where(eq(smtpAccounts.id, theirs.id))).toEqual(before);

    const admin = await makeUser(db(), "admin");
    const adminCtx = { db: db(), actor: actorFor(admin, "admin") };
    const forSupport = await createSmtpAccount(adminCtx, { departmentId: support.id, username: unique("by-admin") });
    expect(forSupport.password).not.toBeNull();
    await setSmtpAccountDisabled(adminCtx, theirs.id, true);
    const listed = await listSmtpAccounts(adminCtx, { departmentId: support.id, q: "BY-ADMIN" });
    expect(listed.rows.map((row) => [row.id, row.departmentName])).toEqual([[forSupport.id, support.name]]);
    const [entry] = await db()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.objectId, theirs.id), eq(auditLog.action, "smtp_account.disable")));
    expect(entry).toMatchObject({ operatorLabel: admin.email, operatorRole: "admin", departmentId: support.id });
  });

  it("pages the list by user name", async () => {
    const sales = await department();
    const names = ["c-desk", "a-desk", "b-desk"].map((name) => `${name}-${unique("p")}`);
    for (const username of names) await createSmtpAccount(sales.ctx, { username, password: PASSWORD });
    const first = await listSmtpAccounts(sales.ctx, { offset: 0, limit: 2 });
    const second = await listSmtpAccounts(sales.ctx, { offset: 2, limit: 2 });
    expect(first.total).toBe(3);
    expect([...first.rows, ...second.rows].map((row) => row.username)).toEqual([...names].sort());
  });
});
