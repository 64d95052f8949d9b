import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { openDatabase } from "@/db/client";
import { migrateDatabase } from "@/db/migrate";
import { auditLog, senderDomains } from "@/db/schema";
import { readSetting, writeSetting } from "@/lib/accounts/settings";
import { systemActor } from "@/lib/access/actor";
import { AppError } from "@/lib/errors";
import type { Resolver } from "@/lib/senders/dns";
import { addDomain, checkDomain, decideDomainClaim, listDomains } from "@/lib/senders/domains";
import { createSender, listSenders } from "@/lib/senders/senders";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";
import { startFakeResend } from "../helpers/fake-resend";
import { rejection } from "../helpers/rejection";

/** A DNS zone in memory, answering like node's resolver (ENOTFOUND for a missing name). */
function zone(records: { txt?: Record<string, string[][]>; cname?: Record<string, string[]> }): Resolver {
  const missing = () => Object.assign(new Error("queryTxt ENOTFOUND"), { code: "ENOTFOUND" });
  return {
    resolveTxt: async (host) => records.txt?.[host] ?? Promise.reject(missing()),
    resolveCname: async (host) => records.cname?.[host] ?? Promise.reject(missing()),
    resolveMx: async () => Promise.reject(missing()),
  };
}

describeOnDatabases("sender domains and identities", (db) => {
  it("passes a domain whose SPF, DKIM, DMARC and return path are published, and says what is wrong otherwise", async () => {
    const department = await makeDepartment(db());
    const user = await makeUser(db(), "department", { departmentId: department.id });
    const ctx = { db: db(), actor: actorFor(user, "department", department.id) };
    const name = `${unique("mail")}.example.com`;
    const domain = await addDomain(ctx, { domain: name.toUpperCase(), departmentId: department.id });
    expect(domain.domain).toBe(name);
    const [listed] = (await listDomains(ctx)).filter((row) => row.id === domain.id);
    const records = Object.fromEntries(listed!.records.map((record) => [record.record, record]));
    expect(records.dkim!.host).toBe(`${domain.dkimSelector}._domainkey.${name}`);
    expect(JSON.stringify(listed)).not.toContain("PRIVATE KEY");

    const good = zone({
      txt: {
        [name]: [["v=spf1 ", records.spf!.value.slice("v=spf1 ".length)], ["google-site-verification=x"]],
        [records.dkim!.host]: [[records.dkim!.value.slice(0, 200), records.dkim!.value.slice(200)]],
        [records.dmarc!.host]: [[records.dmarc!.value]],
      },
      cname: { [records.return_path!.host]: [`${records.return_path!.value}.`] },
    });
    const passed = await checkDomain(ctx, domain.id, good);
    expect(passed.status).toBe("verified");
    expect(passed.checks.map((check) => [check.record, check.pass])).toEqual([
      ["spf", true],
      ["dkim", true],
      ["dmarc", true],
      ["return_path", true],
    ]);

    const bad = zone({
      txt: {
        [name]: [["v=spf1 include:other.example ~all"]],
        [records.dkim!.host]: [["v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwrong"]],
      },
    });
    const failed = await checkDomain(ctx, domain.id, bad);
    expect(failed.status).toBe("failed");
    expect(failed.checks.map((check) => [check.record, check.pass, check.detail])).toEqual([
      ["spf", false, `SPF does not include ${records.spf!.value.split(" ")[1]}`],
      ["dkim", false, "a different key is published"],
      ["dmarc", false, "no DMARC record"],
      ["return_path", false, "no CNAME record"],
    ]);
    expect(failed.checks[3]!.found).toEqual(["no record"]);
  });

  it("registers the domain with Resend when Resend is the transport, and takes its records and status from it", async () => {
    let verified = false;
    const fake = await startFakeResend({
      intercept: (request) => {
        const records = (status: string) => [
          { record: "SPF", name: "send", type: "MX", value: "feedback-smtp.us-east-1.amazonses.com", status, ttl: "Auto", priority: 10 },
          { record: "SPF", name: "send", type: "TXT", value: "v=spf1 include:amazonses.com ~all", status, ttl: "Auto" },
          { record: "DKIM", name: "resend._domainkey", type: "TXT", value: "p=MIGfMA0GCSq", status, ttl: "Auto" },
        ];
        if (request.method === "POST" && request.path === "/domains") {
          const name = (request.body as { name: string }).name;
          return { status: 201, body: { id: "dom_123", name, status: "not_started", created_at: new Date().toISOString(), region: "us-east-1", records: records("not_started") } };
        }
        if (request.method === "POST" && request.path === "/domains/dom_123/verify") {
          verified = true;
          return { status: 200, body: { object: "domain", id: "dom_123" } };
        }
        if (request.method === "GET" && request.path === "/domains/dom_123") {
          const status = verified ? "verified" : "pending";
          return { status: 200, body: { object: "domain", id: "dom_123", name: "x", status, created_at: "", region: "us-east-1", records: records(status) } };
        }
        return undefined;
      },
    });
    const saved = { key: process.env.RESEND_API_KEY, url: process.env.RESEND_BASE_URL };
    process.env.RESEND_API_KEY = "re_test_key";
    process.env.RESEND_BASE_URL = fake.url;
    try {
      const department = await makeDepartment(db());
      const admin = { db: db(), actor: systemActor("test") };
      const name = `${unique("rs")}.example.com`;
      const domain = await addDomain(admin, { domain: name, departmentId: department.id });
      expect(fake.requests.map((request) => `${request.method} ${request.path}`)).toEqual(["POST /domains"]);
      const [listed] = (await listDomains(admin)).filter((row) => row.id === domain.id);
      expect(listed!.records.map((record) => [record.record, record.host, record.type])).toEqual([
        ["return_path", `send.${name}`, "MX"],
        ["spf", `send.${name}`, "TXT"],
        ["dkim", `resend._domainkey.${name}`, "TXT"],
      ]);
      expect(listed!.status).toBe("unverified");
      const checked = await checkDomain(admin, domain.id);
      expect(checked.status).toBe("verified");
      expect(checked.checks.every((check) => check.pass)).toBe(true);
      expect(fake.requests.map((request) => `${request.method} ${request.path}`)).toEqual(["POST /domains", "POST /domains/dom_123/verify", "GET /domains/dom_123"]);
    } finally {
      if (saved.key === undefined) delete process.env.RESEND_API_KEY;
      else process.env.RESEND_API_KEY = saved.key;
      if (saved.url === undefined) delete process.env.RESEND_BASE_URL;
      else process.env.RESEND_BASE_URL = saved.url;
      await fake.close();
    }
  });

  it("requires verified domains on a new installation, and lets a failing domain send once an admin allows it", async () => {
    const department = await makeDepartment(db());
    const admin = { db: db(), actor: systemActor("test") };
    const name = `${unique("news")}.example.org`;
    await addDomain(admin, { domain: name, departmentId: department.id });
    expect(await readSetting(db(), "requireVerifiedDomains")).toBe(true);
    const refused = await rejection(createSender(admin, { departmentId: department.id, address: `info@${name}` }), AppError);
    expect(refused.message).toBe(`The domain ${name} is not verified, and the company requires verified domains`);
    await writeSetting(admin, "requireVerifiedDomains", false);
    try {
      const sender = await createSender(admin, { departmentId: department.id, address: `news@${name}`, name: "Newsroom" });
      const listed = (await listSenders(admin)).find((row) => row.id === sender.id);
      expect(listed).toMatchObject({ domain: name, domainStatus: "unverified", name: "Newsroom" });
    } finally {
      await writeSetting(admin, "requireVerifiedDomains", true);
    }
  });

  it("keeps a department's claim pending until an admin approves it; only an admin decides, and the decision is audited", async () => {
    const department = await makeDepartment(db());
    const user = await makeUser(db(), "department", { departmentId: department.id });
    const own = { db: db(), actor: actorFor(user, "department", department.id) };
    const admin = { db: db(), actor: systemActor("test") };
    const name = `${unique("claim")}.example.com`;
    const claim = await addDomain(own, { domain: name, departmentId: department.id });
    expect(claim.approval).toBe("pending");
    // Verified DNS does not replace the approval: a pending domain carries no sender.
    await db().update(senderDomains).set({ status: "verified" }).where(eq(senderDomains.id, claim.id));
    const pending = await rejection(createSender(own, { address: `news@${name}` }), AppError);
    expect(pending.message).toBe(`The domain ${name} is waiting for an administrator's approval`);
    expect((await rejection(decideDomainClaim(own, claim.id, "approve"), AppError)).code).toBe("forbidden");
    expect((await db().select({ approval: senderDomains.approval }).from(senderDomains).where(eq(senderDomains.id, claim.id)))[0]!.approval).toBe("pending");

    expect(await decideDomainClaim(admin, claim.id, "approve")).toEqual({ approval: "approved" });
    const [approved] = await db().select().from(auditLog).where(and(eq(auditLog.action, "domain.approve"), eq(auditLog.objectId, claim.id)));
    expect(approved).toMatchObject({ operatorLabel: "test", departmentId: department.id, summary: `Approved the claim of ${name}` });
    expect((await rejection(decideDomainClaim(admin, claim.id, "reject"), AppError)).code).toBe("conflict");
    const sender = await createSender(own, { address: `news@${name}` });
    expect((await listSenders(own)).map((row) => row.id)).toContain(sender.id);

    // A rejected claim is removed, and another claim of a held domain is refused outright.
    const other = `${unique("other")}.example.com`;
    const rejected = await addDomain(own, { domain: other, departmentId: department.id });
    expect(await decideDomainClaim(admin, rejected.id, "reject")).toEqual({ approval: "rejected" });
    expect((await listDomains(own)).map((row) => row.domain)).not.toContain(other);
    expect((await db().select().from(auditLog).where(and(eq(auditLog.action, "domain.reject"), eq(auditLog.objectId, rejected.id))))[0]!.departmentId).toBe(department.id);
    const rival = await makeDepartment(db());
    const rivalUser = await makeUser(db(), "department", { departmentId: rival.id });
    const taken = await rejection(addDomain({ db: db(), actor: actorFor(rivalUser, "department", rival.id) }, { domain: name, departmentId: rival.id }), AppError);
    expect(taken.code).toBe("conflict");
    // An admin's own domain needs no approval.
    expect((await addDomain(admin, { domain: `${unique("admin")}.example.com`, departmentId: rival.id })).approval).toBe("approved");
  });

  it("keeps a department's domain to itself and registers a new one only when asked", async () => {
    const mine = await makeDepartment(db());
    const theirs = await makeDepartment(db());
    const admin = { db: db(), actor: systemActor("test") };
    const theirDomain = `${unique("theirs")}.example.net`;
    await addDomain(admin, { domain: theirDomain, departmentId: theirs.id });
    const outsider = await rejection(createSender(admin, { departmentId: mine.id, address: `x@${theirDomain}` }), AppError);
    expect(outsider.message).toBe(`The domain ${theirDomain} belongs to another department`);
    const unknown = `${unique("new")}.example.net`;
    expect((await rejection(createSender(admin, { departmentId: mine.id, address: `x@${unknown}` }), AppError)).message).toBe(`Add the domain ${unknown} first`);
    // A contact may have an internationalised address; a sender may not (most servers could not take its From).
    expect(await rejection(createSender(admin, { departmentId: mine.id, address: `新闻@${theirDomain}` }), AppError)).toMatchObject({ reason: "senderNotAscii", details: { field: "address" } });
    await writeSetting(admin, "requireVerifiedDomains", false);
    try {
      const registered = await createSender(admin, { departmentId: mine.id, address: `x@${unknown}`, registerDomain: true });
      expect(registered.id).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await writeSetting(admin, "requireVerifiedDomains", true);
    }
    const user = await makeUser(db(), "department", { departmentId: theirs.id });
    const visible = await listDomains({ db: db(), actor: actorFor(user, "department", theirs.id) });
    expect(visible.map((row) => row.domain)).toContain(theirDomain);
    expect(visible.map((row) => row.domain)).not.toContain(unknown);
  });
});

it("keeps an installation that existed before verified domains became the default sending from unverified ones", async () => {
  // The migrations up to the one that changed the default, as an installation made before it ran them.
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-migrations-"));
  const source = path.join(process.cwd(), "db", "migrations");
  const journal = JSON.parse(fs.readFileSync(path.join(source, "meta", "_journal.json"), "utf8")) as { entries: { tag: string }[] };
  const before = journal.entries.findIndex((entry) => entry.tag.startsWith("0008_"));
  fs.mkdirSync(path.join(folder, "meta"));
  fs.writeFileSync(path.join(folder, "meta", "_journal.json"), JSON.stringify({ ...journal, entries: journal.entries.slice(0, before) }));
  for (const entry of journal.entries.slice(0, before)) fs.copyFileSync(path.join(source, `${entry.tag}.sql`), path.join(folder, `${entry.tag}.sql`));
  const saved = process.env.FANOUT_MIGRATIONS_DIR;
  process.env.FANOUT_MIGRATIONS_DIR = folder;
  const existing = await openDatabase({ driver: "pglite", dataDir: "memory://", migrationsDir: folder });
  try {
    // A department as that installation wrote it (today's code would write today's audit columns).
    await existing.db.execute(sql`insert into departments (name) values (${unique("dept")})`);
    if (saved === undefined) delete process.env.FANOUT_MIGRATIONS_DIR;
    else process.env.FANOUT_MIGRATIONS_DIR = saved;
    await migrateDatabase(existing.db, "pglite");
    // (A new installation reads true: the suite above starts from one.)
    expect(await readSetting(existing.db, "requireVerifiedDomains")).toBe(false);
  } finally {
    if (saved === undefined) delete process.env.FANOUT_MIGRATIONS_DIR;
    else process.env.FANOUT_MIGRATIONS_DIR = saved;
    await existing.close();
    fs.rmSync(folder, { recursive: true, force: true });
  }
});
