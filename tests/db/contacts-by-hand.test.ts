import { describeRefusal } from "@/lib/i18n/describe";
import { reasonsZh } from "@/lib/i18n/reasons-zh";
import { auditWording, describeStoredSummary } from "@/lib/i18n/describe-audit";
import { and, desc, eq, gt, sql } from "drizzle-orm";
import { beforeAll, expect, it, vi } from "vitest";
import { queryRows } from "@/db/client";
import { auditLog, contacts, poolMembers, pools, suppressions } from "@/db/schema";
import { operatorId, systemActor } from "@/lib/access/actor";
import type { Ctx } from "@/lib/access/context";
import { AppError } from "@/lib/errors";
import { addContact, countMatching, deleteContacts, resubscribeContact, unsubscribeContacts, updateContact } from "@/lib/pools/contact-edits";
import { addContacts, listContacts } from "@/lib/pools/contacts";
import { createPool } from "@/lib/pools/pools";
import { addSuppressions } from "@/lib/pools/suppression";
import { addContact as addContactAction, deleteContacts as deleteContactsAction, updateContact as updateContactAction } from "@/app/(console)/pools/actions";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";
import { serveAs } from "../helpers/next-headers";
import { rejection } from "../helpers/rejection";
import { snapshotState } from "../helpers/snapshot";

vi.mock("next/headers", () => import("../helpers/next-headers"));

describeOnDatabases("contacts by hand (地址维护)", (db) => {
  let ctx: Ctx;
  let user: { id: string; email: string };
  let departmentId: string;

  beforeAll(async () => {
    const department = await makeDepartment(db());
    departmentId = department.id;
    user = await makeUser(db(), "department", { departmentId });
    ctx = { db: db(), actor: actorFor(user, "department", departmentId) };
  });

  /** The audit rows written since `after`, oldest first. */
  async function auditSince(after: number) {
    return db().select().from(auditLog).where(gt(auditLog.id, after)).orderBy(auditLog.id);
  }
  async function lastAuditId() {
    const [row] = await db().select({ id: auditLog.id }).from(auditLog).orderBy(desc(auditLog.id)).limit(1);
    return row?.id ?? 0;
  }
  async function poolCount(poolId: string) {
    const [row] = await db().select({ count: pools.contactCount }).from(pools).where(eq(pools.id, poolId));
    return row!.count;
  }
  async function contactByEmail(email: string) {
    const [row] = await db().select().from(contacts).where(and(eq(contacts.departmentId, departmentId), eq(contacts.email, email)));
    return row;
  }

  it("adds one address with a name and attributes, Chinese keys included, and records it", async () => {
    const pool = await createPool(ctx, { name: unique("hand") });
    const before = await lastAuditId();
    const added = await addContact(ctx, pool.id, {
      email: "  Zhang.Wei@Example.COM ",
      name: "张伟",
      attributes: [
        { key: "城市", value: "北京" },
        { key: "plan", value: "gold" },
        { key: "", value: "" },
      ],
    });
    expect(added).toMatchObject({ email: "zhang.wei@example.com", existing: false, suppressed: null });
    const stored = await contactByEmail("zhang.wei@example.com");
    expect(stored).toMatchObject({ name: "张伟", attributes: { 城市: "北京", plan: "gold" }, status: "active" });
    expect(await poolCount(pool.id)).toBe(1);
    const page = await listContacts(ctx, { poolId: pool.id }, { q: "北京" });
    expect(page.contacts.map((contact) => contact.email)).toEqual(["zhang.wei@example.com"]);
    const audit = await auditSince(before);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: "contact.add", objectType: "contact", objectId: String(added.id), departmentId, operatorLabel: user.email, ip: "203.0.113.9" });
  });

  it("refuses the same address in another case naming the contact that has it, and an invalid address naming the field", async () => {
    const pool = await createPool(ctx, { name: unique("dup") });
    const first = await addContact(ctx, pool.id, { email: "li.na@example.com", name: "Li Na", attributes: [] });
    const before = await snapshotState(db());
    const duplicate = await rejection(addContact(ctx, pool.id, { email: "LI.NA@Example.com", name: "Other", attributes: [] }), AppError);
    expect(duplicate.code).toBe("conflict");
    expect(duplicate.details).toEqual({ field: "email" });
    expect(duplicate).toMatchObject({ reason: "contactAlreadyInPool", params: { id: first.id, email: "li.na@example.com" } });
    expect(duplicate.message).toBe(`li.na@example.com is already in this pool: contact #${first.id} “Li Na”`);
    expect(describeRefusal(reasonsZh, { ...duplicate, field: "email" })).toBe(`li.na@example.com 已在此地址池中：联系人 #${first.id} “Li Na”。`);
    const invalid = await rejection(addContact(ctx, pool.id, { email: "li.na@@example.com", name: "", attributes: [] }), AppError);
    expect(invalid.code).toBe("invalid_input");
    expect(invalid.details).toEqual({ field: "email" });
    expect(invalid.message).toBe("email: more than one @");
    expect(describeRefusal(reasonsZh, { ...invalid, field: "email" })).toBe("邮箱：有不止一个 @");
    const keyless = await rejection(addContact(ctx, pool.id, { email: "new@example.com", name: "", attributes: [{ key: " ", value: "orphan" }] }), AppError);
    expect(keyless).toMatchObject({ code: "invalid_input", details: { field: "attributes" } });
    const twice = await rejection(addContact(ctx, pool.id, { email: "new@example.com", name: "", attributes: [{ key: "城市", value: "a" }, { key: "城市", value: "b" }] }), AppError);
    expect(twice).toMatchObject({ code: "invalid_input", details: { field: "attributes" } });
    expect(await snapshotState(db())).toBe(before);
  });

  it("adds an address the department has elsewhere to this pool without overwriting it, and a suppressed one shown as suppressed", async () => {
    const other = await createPool(ctx, { name: unique("elsewhere") });
    await addContacts(ctx, other.id, [{ email: "kept@example.com", name: "Kept", attributes: { tier: "1" } }]);
    const pool = await createPool(ctx, { name: unique("joined") });
    const joined = await addContact(ctx, pool.id, { email: "KEPT@example.com", name: "Typed", attributes: [{ key: "tier", value: "9" }] });
    expect(joined.existing).toBe(true);
    expect(await contactByEmail("kept@example.com")).toMatchObject({ name: "Kept", attributes: { tier: "1" } });
    expect(await poolCount(pool.id)).toBe(1);

    // Imports keep a suppressed address as an active contact, and the list marks it; so does adding by hand.
    await addSuppressions(ctx, { addresses: "bounced.once@example.com", reason: "hard_bounce" });
    const suppressed = await addContact(ctx, pool.id, { email: "bounced.once@example.com", name: "", attributes: [] });
    expect(suppressed.suppressed).toBe("hard_bounce");
    // Another department's suppression of an address is not this department's.
    const elsewhere = await makeDepartment(db());
    await db().insert(suppressions).values({ departmentId: elsewhere.id, email: "suppressed.elsewhere@example.com", reason: "complaint" });
    await addContact(ctx, pool.id, { email: "suppressed.elsewhere@example.com", name: "", attributes: [] });
    const page = await listContacts(ctx, { poolId: pool.id });
    expect(page.contacts.find((contact) => contact.email === "bounced.once@example.com")).toMatchObject({ status: "active", suppressedReason: "hard_bounce" });
    expect(page.contacts.find((contact) => contact.email === "suppressed.elsewhere@example.com")).toMatchObject({ suppressedReason: null });
    const [audit] = (await auditSince(0)).filter((row) => row.objectId === String(suppressed.id));
    expect(audit!.summary).toContain("(suppressed: hard bounce)");
  });

  it("edits a contact's name and attributes with an audit row naming before and after", async () => {
    const pool = await createPool(ctx, { name: unique("edit") });
    const added = await addContact(ctx, pool.id, { email: "edit.me@example.com", name: "Before", attributes: [{ key: "city", value: "Xi'an" }] });
    const before = await lastAuditId();
    await updateContact(ctx, pool.id, added.id, { name: " 王芳 ", attributes: [{ key: "部门", value: "销售" }] });
    expect(await contactByEmail("edit.me@example.com")).toMatchObject({ name: "王芳", attributes: { 部门: "销售" }, searchPending: true });
    const audit = await auditSince(before);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: "contact.update",
      objectId: String(added.id),
      departmentId,
      details: { before: { name: "Before", attributes: { city: "Xi'an" } }, after: { name: "王芳", attributes: { 部门: "销售" } } },
    });
  });

  it("deletes one contact: out of the pool, and out of the department when it is in no other pool", async () => {
    const pool = await createPool(ctx, { name: unique("delete") });
    const second = await createPool(ctx, { name: unique("second") });
    const alone = await addContact(ctx, pool.id, { email: "alone@example.com", name: "", attributes: [] });
    const shared = await addContact(ctx, pool.id, { email: "shared@example.com", name: "", attributes: [] });
    await addContact(ctx, second.id, { email: "shared@example.com", name: "", attributes: [] });
    const before = await lastAuditId();
    expect(await deleteContacts(ctx, pool.id, { ids: [alone.id] })).toEqual({ removed: 1, deleted: 1 });
    expect(await contactByEmail("alone@example.com")).toBeUndefined();
    expect(await deleteContacts(ctx, pool.id, { ids: [shared.id] })).toEqual({ removed: 1, deleted: 0 });
    expect(await contactByEmail("shared@example.com")).toBeDefined();
    expect(await poolCount(pool.id)).toBe(0);
    expect(await poolCount(second.id)).toBe(1);
    const audit = await auditSince(before);
    expect(audit.map((row) => [row.action, row.objectType, row.objectId])).toEqual([
      ["contact.delete", "contact", String(alone.id)],
      ["contact.delete", "contact", String(shared.id)],
    ]);
    // A contact not in this pool is not found, and nothing changes.
    const snapshot = await snapshotState(db());
    expect((await rejection(deleteContacts(ctx, pool.id, { ids: [shared.id] }), AppError)).code).toBe("not_found");
    expect(await snapshotState(db())).toBe(snapshot);
  });

  it("unsubscribes one contact as a recipient's unsubscribe does, and resubscribes it", async () => {
    const pool = await createPool(ctx, { name: unique("unsub") });
    const added = await addContact(ctx, pool.id, { email: "leaver@example.com", name: "", attributes: [] });
    const before = await lastAuditId();
    expect(await unsubscribeContacts(ctx, pool.id, { ids: [added.id] })).toEqual({ unsubscribed: 1, suppressed: 1 });
    expect((await contactByEmail("leaver@example.com"))!.status).toBe("unsubscribed");
    const [suppression] = await db().select().from(suppressions).where(and(eq(suppressions.departmentId, departmentId), eq(suppressions.email, "leaver@example.com")));
    expect(suppression).toMatchObject({ reason: "unsubscribed", createdBy: operatorId(ctx.actor) });

    expect(await resubscribeContact(ctx, pool.id, added.id)).toEqual({ id: added.id, liftedSuppression: true });
    expect((await contactByEmail("leaver@example.com"))!.status).toBe("active");
    expect(await db().select().from(suppressions).where(and(eq(suppressions.departmentId, departmentId), eq(suppressions.email, "leaver@example.com")))).toEqual([]);
    const audit = await auditSince(before);
    expect(audit.map((row) => [row.action, row.objectId])).toEqual([
      ["contact.unsubscribe", String(added.id)],
      ["contact.resubscribe", String(added.id)],
    ]);
  });

  it("refuses to resubscribe a hard-bounced address, saying why, and changes nothing", async () => {
    const pool = await createPool(ctx, { name: unique("bounced") });
    const added = await addContact(ctx, pool.id, { email: "hard@example.com", name: "", attributes: [] });
    await addSuppressions(ctx, { addresses: "hard@example.com", reason: "hard_bounce" });
    const before = await snapshotState(db());
    const refused = await rejection(resubscribeContact(ctx, pool.id, added.id), AppError);
    expect(refused.code).toBe("conflict");
    expect(refused.details).toEqual({ reason: "hard_bounce" });
    expect(refused.message).toContain("resubscribing does not lift that");
    expect(await snapshotState(db())).toBe(before);
    // Unsubscribing it keeps the hard bounce as the reason it is suppressed.
    expect(await unsubscribeContacts(ctx, pool.id, { ids: [added.id] })).toEqual({ unsubscribed: 1, suppressed: 0 });
    const [suppression] = await db().select().from(suppressions).where(and(eq(suppressions.departmentId, departmentId), eq(suppressions.email, "hard@example.com")));
    expect(suppression!.reason).toBe("hard_bounce");
  });

  it("deletes and unsubscribes a selection of rows, each with one audit row", async () => {
    const pool = await createPool(ctx, { name: unique("selection") });
    const ids: number[] = [];
    for (const name of ["a", "b", "c", "d"]) ids.push((await addContact(ctx, pool.id, { email: `sel.${name}@example.com`, name, attributes: [] })).id);
    const before = await lastAuditId();
    expect(await unsubscribeContacts(ctx, pool.id, { ids: [ids[0]!, ids[1]!] })).toEqual({ unsubscribed: 2, suppressed: 2 });
    expect(await deleteContacts(ctx, pool.id, { ids: [ids[1]!, ids[2]!] })).toEqual({ removed: 2, deleted: 2 });
    const left = await listContacts(ctx, { poolId: pool.id });
    expect(left.contacts.map((contact) => [contact.email, contact.status])).toEqual([
      ["sel.a@example.com", "unsubscribed"],
      ["sel.d@example.com", "active"],
    ]);
    expect(await poolCount(pool.id)).toBe(2);
    const audit = await auditSince(before);
    expect(audit.map((row) => [row.action, row.objectType, row.objectId, row.summary])).toEqual([
      ["contact.unsubscribe", "pool", pool.id, `Unsubscribed 2 addresses of "${pool.name}" from the department (2 added to the suppression list)`],
      ["contact.delete", "pool", pool.id, `Deleted 2 addresses from "${pool.name}" (0 stay in other pools)`],
    ]);
  });

  it("acts on every row matching the search, after the count the page showed, and refuses when the count moved", async () => {
    const pool = await createPool(ctx, { name: unique("search") });
    await addContacts(ctx, pool.id, [
      { email: "bj1@example.com", attributes: { 城市: "北京" } },
      { email: "bj2@example.com", attributes: { 城市: "北京" } },
      { email: "sh1@example.com", attributes: { 城市: "上海" } },
    ]);
    const search = { q: "北京" };
    expect(await countMatching(ctx, pool.id, search)).toBe(2);
    const snapshot = await snapshotState(db());
    const moved = await rejection(unsubscribeContacts(ctx, pool.id, { search, expected: 3 }), AppError);
    expect(moved.code).toBe("conflict");
    expect(moved).toMatchObject({ reason: "searchChanged", params: { matched: 2, expected: 3 } });
    expect(await snapshotState(db())).toBe(snapshot);

    const before = await lastAuditId();
    expect(await unsubscribeContacts(ctx, pool.id, { search, expected: 2 })).toEqual({ unsubscribed: 2, suppressed: 2 });
    expect(await countMatching(ctx, pool.id, { status: "unsubscribed" })).toBe(2);
    expect(await deleteContacts(ctx, pool.id, { search: { q: "北京", status: "unsubscribed" }, expected: 2 })).toEqual({ removed: 2, deleted: 2 });
    const left = await listContacts(ctx, { poolId: pool.id });
    expect(left.contacts.map((contact) => contact.email)).toEqual(["sh1@example.com"]);
    expect(await poolCount(pool.id)).toBe(1);
    const audit = await auditSince(before);
    expect(audit.map((row) => [row.action, row.summary])).toEqual([
      ["contact.unsubscribe", `Unsubscribed 2 addresses of "${pool.name}" from the department (2 added to the suppression list) (matching "北京")`],
      ["contact.delete", `Deleted 2 addresses from "${pool.name}" (0 stay in other pools) (matching "北京"; status unsubscribed)`],
    ]);
    // The reader's language words the same rows: the search the user typed, the status in Chinese.
    expect(audit.map((row) => describeStoredSummary(row, auditWording("zh-CN")))).toEqual([
      `将“${pool.name}”的 2 个地址退订本部门邮件（2 个加入屏蔽列表）（匹配“北京”）`,
      `从“${pool.name}”删除 2 个地址（0 个仍在其他地址池中）（匹配“北京”；状态：已退订）`,
    ]);
  });

  it("refuses another department's pool and contacts with the same forbidden as other actions, changing nothing", async () => {
    const theirs = await makeDepartment(db());
    const system = { db: db(), actor: systemActor("test") };
    const theirPool = await createPool(system, { name: unique("theirs"), departmentId: theirs.id });
    await addContacts(system, theirPool.id, [{ email: "their.member@example.com", name: "Theirs" }]);
    const [theirContact] = await db().select({ id: contacts.id }).from(contacts).where(eq(contacts.departmentId, theirs.id));
    const ownPool = await createPool(ctx, { name: unique("own") });
    const own = await addContact(ctx, ownPool.id, { email: "own.member@example.com", name: "", attributes: [] });

    const before = await snapshotState(db());
    const attempts: (() => Promise<unknown>)[] = [
      () => addContact(ctx, theirPool.id, { email: "x@example.com", name: "", attributes: [] }),
      () => updateContact(ctx, theirPool.id, theirContact!.id, { name: "mine now", attributes: [] }),
      () => updateContact(ctx, ownPool.id, theirContact!.id, { name: "mine now", attributes: [] }),
      () => deleteContacts(ctx, theirPool.id, { ids: [theirContact!.id] }),
      () => deleteContacts(ctx, ownPool.id, { ids: [own.id, theirContact!.id] }),
      () => deleteContacts(ctx, theirPool.id, { search: {}, expected: 1 }),
      () => unsubscribeContacts(ctx, ownPool.id, { ids: [theirContact!.id] }),
      () => unsubscribeContacts(ctx, theirPool.id, { search: { q: "their" }, expected: 1 }),
      () => resubscribeContact(ctx, ownPool.id, theirContact!.id),
      () => countMatching(ctx, theirPool.id, {}),
    ];
    for (const attempt of attempts) expect((await rejection(attempt(), AppError)).code).toBe("forbidden");
    expect(await snapshotState(db())).toBe(before);

    // Through the console's server actions the answer is the same code, still with nothing changed.
    const [row] = await queryRows<{ sv: number }>(db(), sql`select session_version as sv from users where id = ${user.id}`);
    await serveAs({ id: user.id, sessionVersion: row!.sv });
    expect(await deleteContactsAction({ poolId: ownPool.id, ids: [String(theirContact!.id)], all: "", q: "", status: "", expected: "0" })).toMatchObject({ ok: false, error: { code: "forbidden" } });
    expect(await updateContactAction({ poolId: theirPool.id, id: String(theirContact!.id), name: "x", attributeKey: [], attributeValue: [] })).toMatchObject({ ok: false, error: { code: "forbidden" } });
    expect(await snapshotState(db())).toBe(before);
  });

  it("reads the console form: attribute rows paired in order, field errors named", async () => {
    const pool = await createPool(ctx, { name: unique("form") });
    const [row] = await queryRows<{ sv: number }>(db(), sql`select session_version as sv from users where id = ${user.id}`);
    await serveAs({ id: user.id, sessionVersion: row!.sv });
    const form = new FormData();
    form.set("poolId", pool.id);
    form.set("email", "Form.User@Example.com");
    form.set("name", "表单");
    for (const [key, value] of [["城市", "广州"], ["", ""], ["级别", "VIP"]]) {
      form.append("attributeKey", key!);
      form.append("attributeValue", value!);
    }
    const result = await addContactAction(form);
    expect(result).toMatchObject({ ok: true, data: { email: "form.user@example.com" } });
    expect(await contactByEmail("form.user@example.com")).toMatchObject({ name: "表单", attributes: { 城市: "广州", 级别: "VIP" } });
    const again = await addContactAction(form);
    expect(again).toMatchObject({ ok: false, error: { code: "conflict", fieldErrors: { email: { reason: "contactAlreadyInPool", params: expect.objectContaining({ email: "form.user@example.com" }) } } } });
    const members = await db().select().from(poolMembers).where(eq(poolMembers.poolId, pool.id));
    expect(members).toHaveLength(1);
  });
});
