/**
 * Tags on contacts (decision 0077): a department's vocabulary matched whatever the case, tagging
 * one contact, a list of ids and a pool's search result in one statement with counts, other
 * departments' contacts and tags refused with nothing changed, tags on import (a column and "tag
 * everything") through both staging paths, a bad tag reported as its line, the HTTP API, and the
 * operation log.
 */
import { and, asc, desc, eq, gt, inArray } from "drizzle-orm";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { POST as changeTagsRoute } from "@/app/api/v1/contacts/tags/route";
import { GET as listContactsRoute, POST as addContactsRoute } from "@/app/api/v1/pools/[id]/contacts/route";
import { POST as importRoute } from "@/app/api/v1/pools/[id]/import/route";
import { DELETE as deleteTagRoute, PATCH as renameTagRoute } from "@/app/api/v1/tags/[id]/route";
import { GET as listTagsRoute, POST as createTagRoute } from "@/app/api/v1/tags/route";
import { auditLog, contacts, contactTags, tags } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { systemActor } from "@/lib/access/actor";
import { createApiKey } from "@/lib/accounts/api-keys";
import { changeContactTags } from "@/lib/audiences/contact-tags";
import { createTag, deleteTag, listTags, renameTag } from "@/lib/audiences/tags";
import { AppError } from "@/lib/errors";
import { addContacts, listContacts } from "@/lib/pools/contacts";
import { importRows, type BatchOutcome } from "@/lib/pools/import";
import { startImport, storeUpload } from "@/lib/pools/import-jobs";
import { importProgress } from "@/lib/pools/import-report";
import type { StagingMode } from "@/lib/pools/import-copy";
import { mappingFromHeader } from "@/lib/pools/mapping";
import { openTable } from "@/lib/pools/parse";
import { createPool } from "@/lib/pools/pools";
import { peekRows } from "@/lib/pools/rows";
import { splitTagCell } from "@/lib/pools/tag-names";
import { streamOf } from "../helpers/bytes";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";
import { rejection } from "../helpers/rejection";
import { snapshotState } from "../helpers/snapshot";

vi.mock("next/headers", () => import("../helpers/next-headers"));

describe("tag cells", () => {
  it("splits on , ; | and the full-width comma and semicolon, trims, drops empty names and repeats in another case", () => {
    expect(splitTagCell(" VIP, 上海；展会2026 | vip ;; ，新客")).toEqual({ ok: true, names: ["VIP", "上海", "展会2026", "新客"] });
    expect(splitTagCell("")).toEqual({ ok: true, names: [] });
    expect(splitTagCell(`ok, ${"x".repeat(51)}`)).toMatchObject({ ok: false, reason: "tagNameTooLong" });
  });
});

describeOnDatabases("tags", (db, target) => {
  let ctx: Ctx;
  let departmentId: string;
  let other: { ctx: Ctx; departmentId: string; contactId: number; tagId: string };

  const tagsOf = async (poolId: string, filters: { q?: string; tag?: string } = {}) =>
    Object.fromEntries((await listContacts(ctx, { poolId }, { ...filters, limit: 1000 })).contacts.map((contact) => [contact.email, contact.tags]));
  const links = async (department: string) =>
    (await db().select({ id: contactTags.contactId }).from(contactTags).innerJoin(tags, eq(tags.id, contactTags.tagId)).where(eq(tags.departmentId, department))).length;

  beforeAll(async () => {
    const department = await makeDepartment(db());
    departmentId = department.id;
    const user = await makeUser(db(), "department", { departmentId });
    ctx = { db: db(), actor: actorFor(user, "department", departmentId) };
    const theirs = await makeDepartment(db());
    const theirUser = await makeUser(db(), "department", { departmentId: theirs.id });
    const theirCtx = { db: db(), actor: actorFor(theirUser, "department", theirs.id) };
    const pool = await createPool(theirCtx, { name: unique("theirs") });
    await addContacts(theirCtx, pool.id, [{ email: "theirs@example.com", tags: ["Theirs"] }]);
    const [contact] = await db().select({ id: contacts.id }).from(contacts).where(eq(contacts.departmentId, theirs.id));
    const [tag] = await db().select({ id: tags.id }).from(tags).where(eq(tags.departmentId, theirs.id));
    other = { ctx: theirCtx, departmentId: theirs.id, contactId: contact!.id, tagId: tag!.id };
  });

  async function seededPool(emails: { email: string; attributes?: Record<string, string> }[]) {
    const pool = await createPool(ctx, { name: unique("tags") });
    await addContacts(ctx, pool.id, emails);
    const rows = await db().select({ id: contacts.id, email: contacts.email }).from(contacts).where(and(eq(contacts.departmentId, departmentId), inArray(contacts.email, emails.map((e) => e.email))));
    return { poolId: pool.id, id: Object.fromEntries(rows.map((row) => [row.email, row.id])) as Record<string, number> };
  }

  it("keeps one vocabulary whatever the case: a second VIP is refused, vip names the same tag, renaming may change only the case", async () => {
    const vip = await createTag(ctx, { name: "  VIP  " });
    expect(vip.name).toBe("VIP");
    const taken = await rejection(createTag(ctx, { name: "vip" }), AppError);
    expect({ status: taken.status, reason: taken.reason }).toEqual({ status: 409, reason: "tagNameTaken" });
    expect((await rejection(createTag(ctx, { name: "a,b" }), AppError)).reason).toBe("tagNameInvalid");
    expect((await rejection(createTag(ctx, { name: "x".repeat(51) }), AppError)).reason).toBe("tagNameTooLong");
    const { poolId, id } = await seededPool([{ email: "case.one@example.com" }]);
    const result = await changeContactTags(ctx, { contactIds: [id["case.one@example.com"]!] }, { add: ["vIp"] });
    expect(result).toEqual({ contacts: 1, added: 1, removed: 0, created: [] });
    expect(await tagsOf(poolId)).toEqual({ "case.one@example.com": ["VIP"] });
    expect((await renameTag(ctx, vip.id, { name: "Vip" })).name).toBe("Vip");
    expect((await listTags(ctx)).filter((tag) => tag.name.toLowerCase() === "vip")).toMatchObject([{ name: "Vip", contacts: 1 }]);
  });

  it("tags one contact, a selection and every contact a search matches, with counts, and filters the list by tag", async () => {
    const { poolId, id } = await seededPool([
      { email: "sh.one@example.com", attributes: { city: "上海" } },
      { email: "sh.two@example.com", attributes: { city: "上海" } },
      { email: "bj.one@example.com", attributes: { city: "北京" } },
      { email: "sh.three@example.com", attributes: { city: "上海" } },
    ]);
    expect(await changeContactTags(ctx, { contactIds: [id["sh.one@example.com"]!] }, { add: ["展会2026"] })).toEqual({ contacts: 1, added: 1, removed: 0, created: ["展会2026"] });
    const selection = [id["sh.one@example.com"]!, id["bj.one@example.com"]!];
    expect(await changeContactTags(ctx, { contactIds: selection }, { add: ["展会2026", "New"] })).toEqual({ contacts: 2, added: 3, removed: 0, created: ["New"] });
    // The page said three match 上海; the search now tags exactly those.
    expect(await changeContactTags(ctx, { poolId, search: { q: "上海" }, expected: 3 }, { add: ["Shanghai"] })).toMatchObject({ contacts: 3, added: 3 });
    const stale = await rejection(changeContactTags(ctx, { poolId, search: { q: "上海" }, expected: 2 }, { add: ["Stale"] }), AppError);
    expect({ status: stale.status, reason: stale.reason }).toEqual({ status: 409, reason: "searchChanged" });
    expect((await listTags(ctx)).map((tag) => tag.name)).not.toContain("Stale");
    expect(await tagsOf(poolId)).toEqual({
      "sh.one@example.com": ["New", "Shanghai", "展会2026"],
      "sh.two@example.com": ["Shanghai"],
      "bj.one@example.com": ["New", "展会2026"],
      "sh.three@example.com": ["Shanghai"],
    });
    expect(Object.keys(await tagsOf(poolId, { tag: "展会2026" })).sort()).toEqual(["bj.one@example.com", "sh.one@example.com"]);
    expect(Object.keys(await tagsOf(poolId, { tag: "new", q: "sh." }))).toEqual(["sh.one@example.com"]);
    // A search that is itself a tag filter: take 展会2026 off everyone carrying it.
    expect(await changeContactTags(ctx, { poolId, search: { tag: "展会2026" } }, { remove: ["展会2026"] })).toMatchObject({ contacts: 2, added: 0, removed: 2 });
    const [logged] = await db().select({ summary: auditLog.summary }).from(auditLog).where(and(eq(auditLog.action, "contact.tag"), eq(auditLog.departmentId, departmentId))).orderBy(desc(auditLog.id)).limit(1);
    expect(logged!.summary).toBe('Changed the tags of 2 contacts: 0 added (—), 2 removed (展会2026) (tagged "展会2026")');
    const removed = await changeContactTags(ctx, { contactIds: [id["sh.two@example.com"]!] }, { remove: ["Shanghai", "never-made"] });
    expect(removed).toEqual({ contacts: 1, added: 0, removed: 1, created: [] });
    const deleted = await deleteTag(ctx, (await listTags(ctx)).find((tag) => tag.name === "Shanghai")!.id);
    expect(deleted.contacts).toBe(2);
    expect(await tagsOf(poolId)).toMatchObject({ "sh.one@example.com": ["New"], "sh.three@example.com": [] });
  });

  it("refuses another department's contact ids and tag ids and changes nothing", async () => {
    const { id } = await seededPool([{ email: "mine.only@example.com" }]);
    const before = await snapshotState(db());
    const mixed = await rejection(changeContactTags(ctx, { contactIds: [id["mine.only@example.com"]!, other.contactId] }, { add: ["Stolen"] }), AppError);
    expect(mixed.status).toBe(403);
    expect((await rejection(changeContactTags(ctx, { contactIds: [other.contactId] }, { remove: ["Theirs"] }), AppError)).status).toBe(403);
    expect((await rejection(renameTag(ctx, other.tagId, { name: "Mine now" }), AppError)).status).toBe(403);
    expect((await rejection(deleteTag(ctx, other.tagId), AppError)).status).toBe(403);
    expect((await rejection(changeContactTags(ctx, { contactIds: [987_654_321] }, { add: ["Ghost"] }), AppError)).status).toBe(404);
    expect((await listTags(ctx)).map((tag) => tag.name)).not.toContain("Theirs");
    expect(await snapshotState(db())).toBe(before);
    // An admin naming contacts of two departments is refused too: one vocabulary at a time.
    const admin = { db: db(), actor: systemActor("test") };
    expect((await rejection(changeContactTags(admin, { contactIds: [id["mine.only@example.com"]!, other.contactId] }, { add: ["Both"] }), AppError)).reason).toBe("contactsOfSeveralDepartments");
    expect(await links(other.departmentId)).toBe(1);
  });

  const CSV = [
    "email,name,tags,city", //                                      1
    'a@tagged.example.com,A,"VIP, 上海",SH', //                      2
    "b@tagged.example.com,B,vip|新客,BJ", //                         3
    "c@tagged.example.com,C,,GZ", //                                4
    `bad@tagged.example.com,Bad,"ok;${"长".repeat(51)}",SZ`, //       5 a tag too long: this line alone is refused
    "d@tagged.example.com,D,展会；VIP,SH", //                         6
    "A@TAGGED.EXAMPLE.COM,A again,Repeat,SH", //                     7 the same address: its tags join line 2's
  ].join("\n");

  async function importCsv(staging: StagingMode, batchSize: number) {
    const pool = await createPool(ctx, { name: unique(`import-${staging}`) });
    const source = await openTable(streamOf(CSV), {});
    const { head, all } = await peekRows(source.rows, 1);
    const mapping = mappingFromHeader(head[0]!.fields, { tagsColumn: "Tags", tags: ["导入2026"] })!;
    const outcomes: BatchOutcome[] = [];
    const totals = await importRows({ db: db(), departmentId, poolId: pool.id, rows: all, mapping, hasHeader: true, updateExisting: false, batchSize, staging, record: async (_tx, outcome) => void outcomes.push(outcome) });
    return { poolId: pool.id, totals, invalid: outcomes.flatMap((outcome) => outcome.invalidRows.map(({ line, reason }) => ({ line, reason }))) };
  }

  const stagingPaths: StagingMode[] = target === "pglite" ? ["json", "pglite"] : ["json", "pg"];
  it.each(stagingPaths)("imports a tags column and tags everything imported through %s staging; a bad tag is its line's error", async (staging) => {
    for (const batchSize of [100, 2]) {
      const { poolId, totals, invalid } = await importCsv(staging, batchSize);
      expect(invalid).toEqual([{ line: 5, reason: "tagNameTooLong" }]);
      expect(totals).toMatchObject({ imported: 4, invalid: 1 });
      const listed = await listContacts(ctx, { poolId }, { limit: 100 });
      const byEmail = Object.fromEntries(listed.contacts.map((contact) => [contact.email, { tags: contact.tags, attributes: contact.attributes }]));
      const vip = (await listTags(ctx)).find((tag) => tag.name.toLowerCase() === "vip")!.name;
      expect(byEmail).toEqual({
        "a@tagged.example.com": { tags: ["Repeat", vip, "上海", "导入2026"].sort(byName), attributes: { city: "SH" } },
        "b@tagged.example.com": { tags: ["新客", vip, "导入2026"].sort(byName), attributes: { city: "BJ" } },
        "c@tagged.example.com": { tags: ["导入2026"], attributes: { city: "GZ" } },
        "d@tagged.example.com": { tags: ["展会", vip, "导入2026"].sort(byName), attributes: { city: "SH" } },
      });
    }
  });

  it("imports through the console: the mapping proposes the 标签 column as tags, the form tags everything, a bad name there refuses the start", async () => {
    const pool = await createPool(ctx, { name: unique("console") });
    const upload = await storeUpload(ctx, pool.id, "客户.csv", streamOf("邮箱,姓名,标签,城市\nconsole.one@example.com,一,VIP；老客户,上海\nconsole.two@example.com,二,,北京\nconsole.bad@example.com,坏,a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q|r|s|t|u,广州\n"));
    expect(upload.mapping).toMatchObject({ tagsColumn: 2, attributeColumns: [{ index: 3, key: "城市" }] });
    const bad = await rejection(startImport(ctx, upload.id, { mapping: { ...upload.mapping!, tags: ["ok", "no,comma"] }, hasHeader: true, updateExisting: false }), AppError);
    expect({ reason: bad.reason, field: bad.field }).toEqual({ reason: "tagNameInvalid", field: "tags" });
    const sameColumn = await rejection(startImport(ctx, upload.id, { mapping: { ...upload.mapping!, tagsColumn: 0 }, hasHeader: true, updateExisting: false }), AppError);
    expect({ reason: sameColumn.reason, field: sameColumn.field }).toEqual({ reason: "tagsColumnTaken", field: "tagsColumn" });
    await startImport(ctx, upload.id, { mapping: { ...upload.mapping!, tags: [" 展会 "] }, hasHeader: true, updateExisting: false });
    let progress = await importProgress(ctx, upload.id);
    for (let attempt = 0; progress.status === "running" && attempt < 400; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      progress = await importProgress(ctx, upload.id);
    }
    expect(progress).toMatchObject({ status: "completed", imported: 2, invalid: 1 });
    const vip = (await listTags(ctx)).find((tag) => tag.name.toLowerCase() === "vip")!.name;
    expect(await tagsOf(pool.id)).toEqual({ "console.one@example.com": [vip, "展会", "老客户"].sort(byName), "console.two@example.com": ["展会"] });
  });

  it("answers the HTTP API: tags listed, created, renamed and deleted, contacts tagged by id, added and imported with tags", async () => {
    const key = (await createApiKey({ db: db(), actor: systemActor("test") }, { name: "crm", scope: { company: false, departmentId } })).secret;
    const call = (handler: (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>, method: string, path: string, options: { body?: unknown; raw?: string; id?: string } = {}) =>
      handler(
        new Request(`http://fanout.test/api/v1${path}`, {
          method,
          headers: { authorization: `Bearer ${key}`, "content-type": options.raw === undefined ? "application/json" : "text/csv", "x-forwarded-for": "198.51.100.31" },
          body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
        }),
        { params: Promise.resolve<Record<string, string>>(options.id ? { id: options.id } : {}) },
      ).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> & { error?: { reason: string } } }));

    const pool = await createPool(ctx, { name: unique("api") });
    const created = await call(createTagRoute, "POST", "/tags", { body: { name: "Api Tag" } });
    expect(created).toMatchObject({ status: 201, body: { name: "Api Tag", contacts: 0, departmentId } });
    expect((await call(createTagRoute, "POST", "/tags", { body: { name: "API TAG" } })).status).toBe(409);
    const added = await call(addContactsRoute, "POST", `/pools/${pool.id}/contacts`, {
      id: pool.id,
      body: { contacts: [{ email: "api.one@example.com", tags: ["api tag", "客户"] }, { email: "api.two@example.com", tags: ["bad|name"] }, { email: "api.three@example.com" }] },
    });
    expect(added).toMatchObject({ status: 200, body: { added: 2, invalid: [{ index: 1, email: "api.two@example.com" }] } });
    const page = await call(listContactsRoute, "GET", `/pools/${pool.id}/contacts`, { id: pool.id });
    const listed = (page.body.contacts as { id: string; email: string; tags: string[] }[]).map(({ email, tags }) => ({ email, tags }));
    expect(listed).toEqual([
      { email: "api.one@example.com", tags: ["Api Tag", "客户"] },
      { email: "api.three@example.com", tags: [] },
    ]);
    const ids = (page.body.contacts as { id: string }[]).map((contact) => contact.id);
    expect(await call(changeTagsRoute, "POST", "/contacts/tags", { body: { contactIds: ids, add: ["Api Tag"], remove: ["客户"] } })).toEqual({
      status: 200,
      body: { contacts: 2, added: 1, removed: 1, created: [] },
    });
    expect((await call(changeTagsRoute, "POST", "/contacts/tags", { body: { contactIds: [String(other.contactId)], add: ["x"] } })).status).toBe(403);
    const tagId = (created.body as { id: string }).id;
    expect(await call(renameTagRoute, "PATCH", `/tags/${tagId}`, { id: tagId, body: { name: "Renamed" } })).toMatchObject({ status: 200, body: { name: "Renamed", contacts: 2 } });
    expect((await call(renameTagRoute, "PATCH", `/tags/${other.tagId}`, { id: other.tagId, body: { name: "x" } })).status).toBe(403);
    const imported = await call(importRoute, "POST", `/pools/${pool.id}/import?tags=${encodeURIComponent("Fair, 展会")}&tagsColumn=labels`, {
      id: pool.id,
      raw: "email,labels,city\nimp.one@example.com,renamed;客户,杭州\nimp.two@example.com,,苏州\n",
    });
    expect(imported).toMatchObject({ status: 200, body: { imported: 2, invalid: [] } });
    const afterImport = await call(listContactsRoute, "GET", `/pools/${pool.id}/contacts?tag=fair`, { id: pool.id });
    expect((afterImport.body.contacts as { email: string; tags: string[]; attributes: object }[]).map(({ email, tags, attributes }) => ({ email, tags, attributes }))).toEqual([
      { email: "imp.one@example.com", tags: ["Fair", "Renamed", "客户", "展会"].sort(byName), attributes: { city: "杭州" } },
      { email: "imp.two@example.com", tags: ["Fair", "展会"].sort(byName), attributes: { city: "苏州" } },
    ]);
    // Without the new parameters the contract is unchanged: a tags-looking column stays an attribute.
    await call(importRoute, "POST", `/pools/${pool.id}/import`, { id: pool.id, raw: "email,tags\nplain@example.com,VIP\n" });
    const plain = await listContacts(ctx, { poolId: pool.id }, { q: "plain@" });
    expect(plain.contacts.map(({ tags, attributes }) => ({ tags, attributes }))).toEqual([{ tags: [], attributes: { tags: "VIP" } }]);
    expect((await call(importRoute, "POST", `/pools/${pool.id}/import?tagsColumn=nothere`, { id: pool.id, raw: "email\nx@example.com\n" })).body.error?.reason).toBe("tagsColumnMissing");
    const listedTags = await call(listTagsRoute, "GET", "/tags");
    expect((listedTags.body as unknown as { name: string; contacts: number }[]).find((tag) => tag.name === "Renamed")).toMatchObject({ contacts: 3 });
    expect(await call(deleteTagRoute, "DELETE", `/tags/${tagId}`, { id: tagId })).toEqual({ status: 200, body: { id: tagId, name: "Renamed", contacts: 3 } });
  });

  it("writes an operation-log row for each change, naming the department, the tags and the counts", async () => {
    const [last] = await db().select({ id: auditLog.id }).from(auditLog).orderBy(desc(auditLog.id)).limit(1);
    const { id } = await seededPool([{ email: "audited@example.com" }]);
    const tag = await createTag(ctx, { name: "Audited" });
    await changeContactTags(ctx, { contactIds: [id["audited@example.com"]!] }, { add: ["Audited", "Second"] });
    await renameTag(ctx, tag.id, { name: "Audited twice" });
    await deleteTag(ctx, tag.id);
    const rows = await db()
      .select({ action: auditLog.action, summary: auditLog.summary, departmentId: auditLog.departmentId, operatorLabel: auditLog.operatorLabel })
      .from(auditLog)
      .where(and(gt(auditLog.id, last?.id ?? 0), inArray(auditLog.action, ["tag.create", "tag.update", "tag.delete", "contact.tag"]), eq(auditLog.departmentId, departmentId)))
      .orderBy(asc(auditLog.id));
    const tail = rows.slice(-4);
    expect(tail.map((row) => row.action)).toEqual(["tag.create", "contact.tag", "tag.update", "tag.delete"]);
    expect(tail.every((row) => row.operatorLabel === ctx.actor.label)).toBe(true);
    expect(tail.map((row) => row.summary)).toEqual([
      'Created tag "Audited"',
      "Changed the tags of 1 contact: 2 added (Audited, Second), 0 removed (—)",
      'Renamed tag "Audited" to "Audited twice"',
      'Deleted tag "Audited twice" (it was on 1 contact)',
    ]);
  });
});

function byName(a: string, b: string) {
  return a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0;
}
