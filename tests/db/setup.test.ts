/**
 * First-run setup (issue 13): the first admin made in the browser, only while no admin exists, only
 * from this machine or with the setup token the server printed, one admin however many submit at
 * once, rate limited like the other public endpoints.
 */
import { and, desc, eq, like } from "drizzle-orm";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { createFirstAdmin as submitSetup } from "@/app/(auth)/setup/actions";
import { auditLog, senderDomains, settings, tasks, users } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import { gettingStarted } from "@/lib/accounts/getting-started";
import { writeSetting } from "@/lib/accounts/settings";
import { addDomain } from "@/lib/senders/domains";
import { createTask } from "@/lib/sending/tasks";
import { testSend } from "@/lib/templates/test-send";
import { adminExists, createFirstAdmin, isLocalRequest, issueSetupToken, setupTokenMatches } from "@/lib/accounts/setup";
import { publicLimiter } from "@/lib/entry/rate-limit";
import { verifyPassword } from "@/lib/auth/passwords";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";
import { makeSendingSetup, taskInput } from "../helpers/sending";

/** The request the server action believes it is serving: its socket peer, Host and any proxy headers. */
const request = vi.hoisted(() => ({ headers: new Headers() }));
vi.mock("next/headers", () => ({
  headers: async () => request.headers,
  cookies: async () => ({ get: () => undefined }),
}));

function serve(peer: string, extra: Record<string, string> = {}) {
  request.headers = new Headers({ "x-fanout-peer": peer, host: "127.0.0.1:3000", ...extra });
}

const REMOTE = "203.0.113.9";
const form = (email: string, extra: { token?: string; password?: string } = {}) => ({ name: "First Admin", email, password: extra.password ?? "first admin password", token: extra.token });

const savedLimit = process.env.FANOUT_RATE_LIMIT_PUBLIC;
afterEach(() => {
  if (savedLimit === undefined) delete process.env.FANOUT_RATE_LIMIT_PUBLIC;
  else process.env.FANOUT_RATE_LIMIT_PUBLIC = savedLimit;
  publicLimiter.clear();
});

it("counts as this machine only a loopback client asking by a loopback name, with no outside address forwarded", () => {
  const local = (peer: string, extra: Record<string, string> = {}) => isLocalRequest(new Headers({ "x-fanout-peer": peer, host: "localhost:3000", ...extra }));
  expect(local("127.0.0.1")).toBe(true);
  expect(local("::1", { host: "[::1]:3000" })).toBe(true);
  // Next writes the socket's own address into X-Forwarded-For when a client sent none.
  expect(local("::ffff:127.0.0.1", { "x-forwarded-for": "::ffff:127.0.0.1" })).toBe(true);
  expect(local(REMOTE)).toBe(false);
  expect(isLocalRequest(new Headers({ host: "localhost:3000" }))).toBe(false);
  // A reverse proxy on this machine that nobody declared trusted: its visitors are not local.
  expect(local("127.0.0.1", { "x-forwarded-for": REMOTE })).toBe(false);
  expect(local("127.0.0.1", { "x-real-ip": REMOTE })).toBe(false);
  expect(local("127.0.0.1", { forwarded: `for="${REMOTE}:4711";proto=https` })).toBe(false);
  // A site that rebinds its own name to 127.0.0.1 in this machine's browser.
  expect(local("127.0.0.1", { host: "evil.example:3000" })).toBe(false);
});

describeOnDatabases("first-run setup", (db) => {
  beforeEach(async () => {
    await db().delete(users).where(eq(users.role, "admin"));
    await db().delete(settings).where(eq(settings.key, "first_admin_setup_token"));
    publicLimiter.clear();
  });

  it("refuses a client elsewhere without the token and creates nothing", async () => {
    await issueSetupToken(db());
    serve(REMOTE);
    expect(await submitSetup(form("remote@example.com"))).toEqual({ ok: false, reason: "not_allowed" });
    expect(await submitSetup(form("remote@example.com", { token: "guessed-token" }))).toEqual({ ok: false, reason: "not_allowed" });
    // Addressed as localhost but relayed by a proxy on this machine from elsewhere.
    serve("127.0.0.1", { "x-forwarded-for": REMOTE });
    expect(await submitSetup(form("remote@example.com"))).toEqual({ ok: false, reason: "not_allowed" });
    expect(await adminExists(db())).toBe(false);
    expect(await db().select().from(users).where(eq(users.email, "remote@example.com"))).toEqual([]);
  });

  it("accepts a client elsewhere with the printed token, audits it with the caller's IP, and the token is then spent", async () => {
    const token = (await issueSetupToken(db()))!;
    expect(token).toMatch(/^[\w-]{32}$/);
    // Only the hash is stored.
    const [stored] = await db().select({ value: settings.value }).from(settings);
    expect(JSON.stringify(stored!.value)).not.toContain(token);
    serve(REMOTE);
    expect(await submitSetup(form("Boss@Example.com", { token }))).toEqual({ ok: true, email: "boss@example.com" });
    const [admin] = await db().select().from(users).where(eq(users.email, "boss@example.com"));
    expect(admin).toMatchObject({ role: "admin", name: "First Admin", disabled: false });
    expect(await verifyPassword("first admin password", admin!.passwordHash)).toBe(true);
    const [audit] = await db().select().from(auditLog).where(eq(auditLog.objectId, admin!.id)).orderBy(desc(auditLog.id));
    expect(audit).toMatchObject({ action: "user.create", ip: REMOTE, operatorLabel: "first-run setup (setup token)", summary: "Created admin boss@example.com" });
    expect(await setupTokenMatches(db(), token)).toBe(false);
    expect(await submitSetup(form("second@example.com", { token }))).toEqual({ ok: false, reason: "admin_exists" });
  });

  it("accepts this machine without a token, with the same password rules, and refuses everyone once an admin exists", async () => {
    serve("127.0.0.1");
    expect(await submitSetup(form("short@example.com", { password: "short" }))).toEqual({ ok: false, reason: "password" });
    expect(await submitSetup(form("not an address"))).toEqual({ ok: false, reason: "email" });
    expect(await submitSetup({ ...form("blank@example.com"), name: "  " })).toEqual({ ok: false, reason: "name" });
    expect(await adminExists(db())).toBe(false);
    expect(await submitSetup(form("local@example.com"))).toEqual({ ok: true, email: "local@example.com" });
    const [audit] = await db().select().from(auditLog).where(eq(auditLog.action, "user.create")).orderBy(desc(auditLog.id)).limit(1);
    expect(audit).toMatchObject({ ip: "127.0.0.1", operatorLabel: "first-run setup (this machine)" });

    expect(await submitSetup(form("again@example.com"))).toEqual({ ok: false, reason: "admin_exists" });
    // A restart with an admin prints no token and forgets the one left over.
    expect(await issueSetupToken(db())).toBeNull();
    expect(await db().select().from(settings).where(eq(settings.key, "first_admin_setup_token"))).toEqual([]);
    expect((await db().select().from(users).where(eq(users.role, "admin"))).map((row) => row.email)).toEqual(["local@example.com"]);
  });

  it("refuses once an admin exists however it was made (CLI, environment), even with a token printed before", async () => {
    const token = (await issueSetupToken(db()))!;
    await makeUser(db(), "admin");
    expect(await setupTokenMatches(db(), token)).toBe(false);
    serve(REMOTE);
    expect(await submitSetup(form("late@example.com", { token }))).toEqual({ ok: false, reason: "admin_exists" });
    serve("127.0.0.1");
    expect(await submitSetup(form("late@example.com"))).toEqual({ ok: false, reason: "admin_exists" });
    expect(await db().select().from(users).where(eq(users.email, "late@example.com"))).toEqual([]);
  });

  it("makes one admin when setups are submitted at once", async () => {
    const token = (await issueSetupToken(db()))!;
    const callers = Array.from({ length: 4 }, (_, index) => ({ ip: index % 2 ? REMOTE : "127.0.0.1", local: index % 2 === 0 }));
    const outcomes = await Promise.allSettled(callers.map((caller, index) => createFirstAdmin(db(), caller, form(`racer${index}@example.com`, { token }))));
    expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
    for (const outcome of outcomes.filter((outcome) => outcome.status === "rejected")) {
      expect((outcome as PromiseRejectedResult).reason).toMatchObject({ code: "conflict", details: { reason: "admin_exists" } });
    }
    expect(await db().select({ id: users.id }).from(users).where(eq(users.role, "admin"))).toHaveLength(1);
    const audited = await db().select({ summary: auditLog.summary }).from(auditLog).where(like(auditLog.summary, "Created admin racer%"));
    expect(audited).toHaveLength(1);
  });

  it("counts each submission against the caller's public rate limit", async () => {
    process.env.FANOUT_RATE_LIMIT_PUBLIC = "3";
    serve(REMOTE);
    for (let index = 0; index < 3; index++) expect((await submitSetup(form("x@example.com"))).ok).toBe(false);
    expect(await submitSetup(form("x@example.com"))).toMatchObject({ ok: false, reason: "rate_limited", retryAfterSeconds: expect.any(Number) });
  });
});

describeOnDatabases("the getting-started checklist", (db) => {
  const done = async (ctx: Parameters<typeof gettingStarted>[0]) => Object.fromEntries((await gettingStarted(ctx)).map((step) => [step.key, step.done]));

  it("ticks each step from the data, for a department user in their own department only", async () => {
    const admin = { db: db(), actor: actorFor(await makeUser(db(), "admin"), "admin") };
    expect(await done(admin)).toEqual({ department: false, domain: false, sender: false, pool: false, template: false, testSend: false, task: false });

    const ready = await makeSendingSetup(db(), { count: 2 });
    const empty = await makeDepartment(db());
    const readyUser = { db: db(), actor: actorFor(await makeUser(db(), "department", { departmentId: ready.departmentId }), "department", ready.departmentId, [ready.departmentId]) };
    const emptyUser = { db: db(), actor: actorFor(await makeUser(db(), "department", { departmentId: empty.id }), "department", empty.id, [empty.id]) };
    expect(await done(readyUser)).toEqual({ domain: true, sender: true, pool: true, template: true, testSend: false, task: false });
    expect(await done(emptyUser)).toEqual({ domain: false, sender: false, pool: false, template: false, testSend: false, task: false });

    await testSend(readyUser, { templateId: ready.templateId, senderId: ready.senderId, recipients: "me@example.com" });
    const task = await createTask(ready.ctx, taskInput(ready));
    expect((await done(readyUser)).testSend).toBe(true);
    expect((await done(readyUser)).task).toBe(false);
    await db().update(tasks).set({ sent: 1 }).where(eq(tasks.id, task.id));
    expect((await gettingStarted(readyUser)).every((step) => step.done)).toBe(true);
    expect(await done(emptyUser)).toMatchObject({ testSend: false, task: false });
    expect(await done(admin)).toEqual({ department: true, domain: true, sender: true, pool: true, template: true, testSend: true, task: true });

    // The test send links to the newest template's page, where the test-send panel is.
    expect((await gettingStarted(readyUser)).find((step) => step.key === "testSend")!.href).toBe(`/templates/${ready.templateId}`);
    // Managers read and never write: no checklist.
    const manager = { db: db(), actor: actorFor(await makeUser(db(), "manager", { readsAll: true }), "manager") };
    await expect(gettingStarted(manager)).rejects.toMatchObject({ code: "forbidden" });
  });

  it("counts an unverified domain once the company allows unverified domains, and a pending claim never", async () => {
    const department = await makeDepartment(db());
    const user = await makeUser(db(), "department", { departmentId: department.id });
    const ctx = { db: db(), actor: actorFor(user, "department", department.id, [department.id]) };
    await addDomain(ctx, { domain: `${unique("claim")}.example.com`, departmentId: department.id });
    const admin = { db: db(), actor: systemActor("test") };
    await addDomain(admin, { domain: `${unique("theirs")}.example.com`, departmentId: department.id });
    expect((await done(ctx)).domain).toBe(false);
    await writeSetting(admin, "requireVerifiedDomains", false);
    try {
      expect((await done(ctx)).domain).toBe(true);
      await db().delete(senderDomains).where(and(eq(senderDomains.departmentId, department.id), eq(senderDomains.approval, "approved")));
      expect((await done(ctx)).domain).toBe(false);
    } finally {
      await writeSetting(admin, "requireVerifiedDomains", true);
    }
  });
});
