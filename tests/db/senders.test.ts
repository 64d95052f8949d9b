import { expect, it } from "vitest";
import { writeSetting } from "@/lib/accounts/settings";
import { systemActor } from "@/lib/auth/actor";
import { AppError } from "@/lib/errors";
import type { Resolver } from "@/lib/senders/dns";
import { addDomain, checkDomain, listDomains } from "@/lib/senders/domains";
import { createSender, listSenders } from "@/lib/senders/senders";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";
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

  it("lets a failing domain send unless the company requires verified domains", async () => {
    const department = await makeDepartment(db());
    const admin = { db: db(), actor: systemActor("test") };
    const name = `${unique("news")}.example.org`;
    await addDomain(admin, { domain: name, departmentId: department.id });
    const sender = await createSender(admin, { departmentId: department.id, address: `news@${name}`, name: "Newsroom" });
    const listed = (await listSenders(admin)).find((row) => row.id === sender.id);
    expect(listed).toMatchObject({ domain: name, domainStatus: "unverified", name: "Newsroom" });
    await writeSetting(admin, "requireVerifiedDomains", true);
    try {
      const refused = await rejection(createSender(admin, { departmentId: department.id, address: `info@${name}` }), AppError);
      expect(refused.message).toBe(`The domain ${name} is not verified, and the company requires verified domains`);
    } finally {
      await writeSetting(admin, "requireVerifiedDomains", false);
    }
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
    const registered = await createSender(admin, { departmentId: mine.id, address: `x@${unknown}`, registerDomain: true });
    expect(registered.id).toMatch(/^[0-9a-f-]{36}$/);
    const user = await makeUser(db(), "department", { departmentId: theirs.id });
    const visible = await listDomains({ db: db(), actor: actorFor(user, "department", theirs.id) });
    expect(visible.map((row) => row.domain)).toContain(theirDomain);
    expect(visible.map((row) => row.domain)).not.toContain(unknown);
  });
});
