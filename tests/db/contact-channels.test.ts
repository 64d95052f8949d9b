/**
 * Contacts reachable by phone and WeCom (issue 21, part 2): the phone column of imports (API,
 * console, COPY), consent, edits by hand, per-channel suppressions, the API's contact object and
 * personal-data rights. Every phone is parsed in the company's region.
 */
import { and, asc, desc, eq, gt } from "drizzle-orm";
import { beforeAll, expect, it, vi } from "vitest";
import { GET as listContactsRoute, POST as addContactsRoute } from "@/app/api/v1/pools/[id]/contacts/route";
import { POST as importRoute } from "@/app/api/v1/pools/[id]/import/route";
import { auditLog, channelSuppressions, contacts, contactSearch, suppressions, users } from "@/db/schema";
import { addContact as addContactAction, updateContact as updateContactAction } from "@/app/(console)/pools/actions";
import { describeRefusal } from "@/lib/i18n/describe";
import { systemActor } from "@/lib/access/actor";
import type { Ctx } from "@/lib/access/context";
import { createApiKey } from "@/lib/accounts/api-keys";
import { readPhoneRegion, writePhoneRegion, writeSetting } from "@/lib/accounts/settings";
import { openApiDocument } from "@/lib/api/openapi";
import { AppError } from "@/lib/errors";
import { describeStoredSummary, auditWording } from "@/lib/i18n/describe-audit";
import { reasonsZh } from "@/lib/i18n/reasons-zh";
import { wordStoredReason, importRows, type BatchOutcome } from "@/lib/pools/import";
import { addChannelSuppressions, isChannelSuppressed, listChannelSuppressions, removeChannelSuppression, suppressedOnChannel } from "@/lib/pools/channel-suppression";
import { addContact, updateContact } from "@/lib/pools/contact-edits";
import { listContacts } from "@/lib/pools/contacts";
import { importTable } from "@/lib/pools/import-csv";
import { startImport, storeUpload } from "@/lib/pools/import-jobs";
import { importErrorLines, importProgress } from "@/lib/pools/import-report";
import { mappingFromHeader } from "@/lib/pools/mapping";
import { openTable } from "@/lib/pools/parse";
import { createPool } from "@/lib/pools/pools";
import { peekRows } from "@/lib/pools/rows";
import { SUPPRESSION_PAGE_SIZE } from "@/lib/pools/suppression";
import { eraseAddress } from "@/lib/privacy/erase";
import { lookupAddress } from "@/lib/privacy/holdings";
import { streamOf } from "../helpers/bytes";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";
import { rejection } from "../helpers/rejection";
import { snapshotState } from "../helpers/snapshot";
import { serveAs } from "../helpers/next-headers";

vi.mock("next/headers", () => import("../helpers/next-headers"));

/** The nasty cases of the brief, one a line; lines 4, 6 and 8 have bad phones, line 9 a bad address. */
const NASTY = [
  "email,姓名,手机号,city", //                       1
  "one@phones.example,一,+86 138-0013-8000,SH", //   2
  "two@phones.example,二,(010) 1234 5678,BJ", //     3
  "three@phones.example,三,138-ABCD-8000,GZ", //     4 letters
  "four@phones.example,四,１３９００１３９０００,SZ", // 5 full-width digits
  "five@phones.example,五,12345,HZ", //              6 too short
  "six@phones.example,六,,CD", //                    7 empty: no phone, no problem
  "seven@phones.example,七,call me,WH", //           8 not a number
  "not-an-address,八,13800138000,XA", //             9 invalid row, its phone does not matter
  "ten@phones.example,十,13800138000,NJ", //         10 national mobile, region CN
].join("\n");

const EXPECTED_PHONES: Record<string, string | null> = {
  "one@phones.example": "+8613800138000",
  "two@phones.example": "+861012345678",
  "three@phones.example": null,
  "four@phones.example": "+8613900139000",
  "five@phones.example": null,
  "six@phones.example": null,
  "seven@phones.example": null,
  "ten@phones.example": "+8613800138000",
};

describeOnDatabases("contacts by phone and WeCom", (db, target) => {
  let ctx: Ctx;
  let admin: Ctx;
  let departmentId: string;
  let other: { ctx: Ctx; departmentId: string };

  beforeAll(async () => {
    const department = await makeDepartment(db());
    departmentId = department.id;
    const user = await makeUser(db(), "department", { departmentId });
    ctx = { db: db(), actor: actorFor(user, "department", departmentId) };
    const adminUser = await makeUser(db(), "admin");
    admin = { db: db(), actor: actorFor(adminUser, "admin") };
    const otherDepartment = await makeDepartment(db());
    const otherUser = await makeUser(db(), "department", { departmentId: otherDepartment.id });
    other = { ctx: { db: db(), actor: actorFor(otherUser, "department", otherDepartment.id) }, departmentId: otherDepartment.id };
  });

  async function phonesOf(poolId: string) {
    const page = await listContacts(ctx, { poolId }, { limit: 100 });
    return Object.fromEntries(page.contacts.map((contact) => [contact.email, contact.phone]));
  }

  it("imports the nasty phone cases through the API: every good row kept, bad phones reported by line and kept out, consent set", async () => {
    const pool = await createPool(ctx, { name: unique("api-phones") });
    const report = await importTable(ctx, pool.id, streamOf(NASTY), { consent: ["sms", "whatsapp"] });
    expect(report).toMatchObject({ imported: 8, invalidCount: 1, badPhoneCount: 3, invalid: [{ line: 9 }] });
    expect(report.badPhones.map(({ line, value }) => ({ line, value }))).toEqual([
      { line: 4, value: "138-ABCD-8000" },
      { line: 6, value: "12345" },
      { line: 8, value: "call me" },
    ]);
    expect(report.badPhones[0]!.reason).toBe('the phone number "138-ABCD-8000" is not a phone number (letters or other text in it); the contact was imported without it');
    expect(report.badPhones[1]!.reason).toContain("too short");
    expect(await phonesOf(pool.id)).toEqual(EXPECTED_PHONES);
    // The console's search finds a contact by the digits of its number.
    const found = await listContacts(ctx, { poolId: pool.id }, { q: "13900139000" });
    expect(found.contacts.map((contact) => contact.email)).toEqual(["four@phones.example"]);
    const stored = await db().select({ email: contacts.email, consent: contacts.channelConsent, attributes: contacts.attributes }).from(contacts).where(eq(contacts.email, "three@phones.example"));
    // The API keeps the column as the attribute it always was; consent is what the import said.
    expect(stored).toEqual([{ email: "three@phones.example", consent: ["sms", "whatsapp"], attributes: { 手机号: "138-ABCD-8000", city: "GZ" } }]);
  });

  it("imports through the console: the 手机号 column is proposed as the phone, bad phones are in the error report with the invalid rows", async () => {
    const pool = await createPool(ctx, { name: unique("console-phones") });
    const upload = await storeUpload(ctx, pool.id, "客户.csv", streamOf(NASTY));
    expect(upload.mapping).toMatchObject({ emailColumn: 0, nameColumn: 1, phoneColumn: 2, attributeColumns: [{ index: 3, key: "city" }] });
    const taken = await rejection(startImport(ctx, upload.id, { mapping: { ...upload.mapping!, phoneColumn: 0 }, hasHeader: true, updateExisting: false }), AppError);
    expect({ reason: taken.reason, field: taken.field }).toEqual({ reason: "phoneColumnTaken", field: "phoneColumn" });
    await startImport(ctx, upload.id, { mapping: { ...upload.mapping!, consent: ["sms"] }, hasHeader: true, updateExisting: false });
    let progress = await importProgress(ctx, upload.id);
    for (let attempt = 0; progress.status === "running" && attempt < 400; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      progress = await importProgress(ctx, upload.id);
    }
    expect(progress).toMatchObject({ status: "completed", imported: 8, invalid: 1, badPhones: 3 });
    const lines = [];
    for await (const line of await importErrorLines(ctx, upload.id)) lines.push({ line: line.line, value: line.value, text: wordStoredReason(reasonsZh, line.reason, line.params) });
    expect(lines.map(({ line, value }) => ({ line, value }))).toEqual([
      { line: 4, value: "138-ABCD-8000" },
      { line: 6, value: "12345" },
      { line: 8, value: "call me" },
      { line: 9, value: "not-an-address" },
    ]);
    expect(lines[0]!.text).toBe("电话号码“138-ABCD-8000”不是电话号码（含有字母或其他文字）；该联系人已导入，但未保存此号码");
    expect(await phonesOf(pool.id)).toEqual(EXPECTED_PHONES);
    const consent = await db().select({ consent: contacts.channelConsent }).from(contacts).where(eq(contacts.email, "six@phones.example"));
    expect(consent.every((row) => row.consent.includes("sms"))).toBe(true);
  });

  it("stores the same phones and consent through COPY as through the JSON batch, and updating adds consent and keeps a phone a later file lacks", async () => {
    const copyMode = target === "pglite" ? "pglite" : "pg";
    const run = async (csv: string, staging: "json" | "pg" | "pglite", options: { poolId?: string; updateExisting?: boolean; consent?: ("sms" | "whatsapp")[] } = {}) => {
      const poolId = options.poolId ?? (await createPool(ctx, { name: unique(`copy-${staging}`) })).id;
      const source = await openTable(streamOf(csv), {});
      const { head, all } = await peekRows(source.rows, 1);
      const outcomes: BatchOutcome[] = [];
      const mapping = mappingFromHeader(head[0]!.fields, { consent: options.consent })!;
      // A fresh department each time would hide the merge; the contacts are the department's, so use distinct addresses per mode.
      await importRows({ db: db(), departmentId, poolId, rows: all, mapping, hasHeader: true, updateExisting: options.updateExisting ?? false, batchSize: 3, staging, record: async (_tx, outcome) => void outcomes.push(outcome) });
      return { poolId, outcomes };
    };
    const csvFor = (mode: string) => NASTY.replaceAll("@phones.example", `@${mode}.copy.example`);
    const json = await run(csvFor("json"), "json", { consent: ["whatsapp"] });
    const copy = await run(csvFor("copy"), copyMode, { consent: ["whatsapp"] });
    const strip = (phones: Record<string, string | null>, mode: string) => Object.fromEntries(Object.entries(phones).map(([email, phone]) => [email.replace(`@${mode}.copy.example`, ""), phone]));
    expect(strip(await phonesOf(copy.poolId), "copy")).toEqual(strip(await phonesOf(json.poolId), "json"));
    expect(copy.outcomes.flatMap((outcome) => outcome.badPhoneRows.map((row) => row.line))).toEqual([4, 6, 8]);

    // Again with updating: a row without a phone keeps the one stored, consent is added, a new phone replaces the old.
    const again = ["email,phone", "one@copy.copy.example,", "ten@copy.copy.example,+86 139 0013 9000"].join("\n");
    const updated = await run(again, copyMode, { poolId: copy.poolId, updateExisting: true, consent: ["sms"] });
    expect(updated.outcomes.reduce((sum, outcome) => sum + outcome.updated, 0)).toBe(2);
    const rows = await db()
      .select({ email: contacts.email, phone: contacts.phone, consent: contacts.channelConsent })
      .from(contacts)
      .where(and(eq(contacts.departmentId, departmentId), eq(contacts.email, "one@copy.copy.example")));
    expect(rows).toEqual([{ email: "one@copy.copy.example", phone: "+8613800138000", consent: ["sms", "whatsapp"] }]);
    // A batch that writes its own search rows (large imports) puts the number in them too.
    const indexed = await createPool(ctx, { name: unique("in-pass") });
    await importRows({
      db: db(), departmentId, poolId: indexed.id, updateExisting: false, hasHeader: true, staging: copyMode, indexInPass: true,
      mapping: { emailColumn: 0, nameColumn: null, attributeColumns: [], phoneColumn: 1 },
      rows: (async function* () { yield { line: 1, fields: ["email", "phone"] }; yield { line: 2, fields: ["inpass@copy.copy.example", "13600136000"] }; })(),
    });
    const [searchRow] = await db().select({ text: contactSearch.searchText }).from(contactSearch).innerJoin(contacts, eq(contacts.id, contactSearch.contactId)).where(eq(contacts.email, "inpass@copy.copy.example"));
    expect(searchRow!.text).toMatch(/^inpass@copy\.copy\.example\s+\+8613600136000$/);
    const [ten] = await db().select({ phone: contacts.phone }).from(contacts).where(and(eq(contacts.departmentId, departmentId), eq(contacts.email, "ten@copy.copy.example")));
    expect(ten!.phone).toBe("+8613900139000");
  });

  it("reads national numbers in the company's phone region, which only an admin sets, to a region phone numbers are known for", async () => {
    const unknown = await rejection(writePhoneRegion(admin, "XX"), AppError);
    expect({ reason: unknown.reason, field: unknown.field }).toEqual({ reason: "notPhoneRegion", field: "region" });
    expect((await rejection(writePhoneRegion(ctx, "US"), AppError)).code).toBe("forbidden");
    expect(await readPhoneRegion(db())).toBe("CN");
    await writePhoneRegion(admin, " us ");
    try {
      expect(await readPhoneRegion(db())).toBe("US");
      const pool = await createPool(ctx, { name: unique("us") });
      const report = await importTable(ctx, pool.id, streamOf("email,phone\nus@region.example,(415) 555-2671\n"));
      expect(report.badPhoneCount).toBe(0);
      expect(await phonesOf(pool.id)).toEqual({ "us@region.example": "+14155552671" });
    } finally {
      await writeSetting(admin, "phoneRegion", "CN");
    }
  });

  it("edits phone, WeCom id and consent by hand: validated naming the field, nothing changed on a refusal, audited with before and after", async () => {
    const pool = await createPool(ctx, { name: unique("hand") });
    const added = await addContact(ctx, pool.id, { email: "hand@phones.example", name: "手", attributes: [], phone: "138 0013 8000", wecomUserId: "zhang.san", channelConsent: ["wecom"] });
    const [stored] = await db().select().from(contacts).where(eq(contacts.id, added.id));
    expect(stored).toMatchObject({ phone: "+8613800138000", wecomUserId: "zhang.san", channelConsent: ["wecom"] });

    const before = await snapshotState(db());
    const badPhone = await rejection(updateContact(ctx, pool.id, added.id, { name: "手", attributes: [], phone: "1380013800x" }), AppError);
    expect({ code: badPhone.code, reason: badPhone.reason, field: badPhone.field }).toEqual({ code: "invalid_input", reason: "phoneNotANumber", field: "phone" });
    const badWecom = await rejection(updateContact(ctx, pool.id, added.id, { name: "手", attributes: [], wecomUserId: "张 三" }), AppError);
    expect({ reason: badWecom.reason, field: badWecom.field }).toEqual({ reason: "notWecomUserId", field: "wecomUserId" });
    const badChannel = await rejection(updateContact(ctx, pool.id, added.id, { name: "手", attributes: [], channelConsent: ["fax"] }), AppError);
    expect({ reason: badChannel.reason, field: badChannel.field }).toEqual({ reason: "notChannel", field: "channelConsent" });
    expect(await snapshotState(db())).toEqual(before);

    const [last] = await db().select({ id: auditLog.id }).from(auditLog).orderBy(desc(auditLog.id)).limit(1);
    await updateContact(ctx, pool.id, added.id, { name: "手", attributes: [], phone: "", wecomUserId: "li_si", channelConsent: ["whatsapp", "sms", "sms"] });
    const [after] = await db().select().from(contacts).where(eq(contacts.id, added.id));
    expect(after).toMatchObject({ phone: null, wecomUserId: "li_si", channelConsent: ["sms", "whatsapp"] });
    const audit = await db().select().from(auditLog).where(gt(auditLog.id, last!.id)).orderBy(asc(auditLog.id));
    expect(audit.map((row) => row.action)).toEqual(["contact.update"]);
    expect(audit[0]!.details).toMatchObject({
      before: { phone: "+8613800138000", wecomUserId: "zhang.san", channelConsent: ["wecom"] },
      after: { phone: null, wecomUserId: "li_si", channelConsent: ["sms", "whatsapp"] },
    });
    // Another department cannot edit it: forbidden, nothing changed.
    const stranger = await rejection(updateContact(other.ctx, pool.id, added.id, { name: "x", attributes: [], phone: "13900139000" }), AppError);
    expect(stranger.code).toBe("forbidden");
  });

  it("reads the console's contact form: consent boxes as a list, unticked boxes clear consent, a bad phone named on its field in Chinese", async () => {
    const pool = await createPool(ctx, { name: unique("form") });
    const [row] = await db().select({ sv: users.sessionVersion }).from(users).where(eq(users.id, ctx.actor.id));
    await serveAs({ id: ctx.actor.id, sessionVersion: row!.sv });
    const form = new FormData();
    form.set("poolId", pool.id);
    form.set("email", "form@phones.example");
    form.set("channelFields", "on");
    form.set("phone", "+86 138-0013-8000");
    form.set("wecomUserId", "form.user");
    form.append("channelConsent", "sms");
    form.append("channelConsent", "wecom");
    const added = await addContactAction(form);
    expect(added).toMatchObject({ ok: true });
    const [stored] = await db().select().from(contacts).where(and(eq(contacts.departmentId, departmentId), eq(contacts.email, "form@phones.example")));
    expect(stored).toMatchObject({ phone: "+8613800138000", wecomUserId: "form.user", channelConsent: ["sms", "wecom"] });

    const edit = new FormData();
    edit.set("poolId", pool.id);
    edit.set("id", String(stored!.id));
    edit.set("name", "");
    edit.set("channelFields", "on");
    edit.set("phone", "010 1234 567a");
    const refused = await updateContactAction(edit);
    expect(refused).toMatchObject({ ok: false, error: { code: "invalid_input", fieldErrors: { phone: { reason: "phoneNotANumber" } } } });
    expect(describeRefusal(reasonsZh, { code: "invalid_input", reason: "phoneNotANumber", field: "phone" })).toBe("电话：不是电话号码（含有字母或其他文字）");
    edit.set("phone", "");
    expect(await updateContactAction(edit)).toMatchObject({ ok: true });
    const [after] = await db().select().from(contacts).where(eq(contacts.id, stored!.id));
    expect(after).toMatchObject({ phone: null, wecomUserId: null, channelConsent: [] });
    // A call without the form's channel fields (an older client) leaves them alone.
    await updateContact(ctx, pool.id, stored!.id, { name: "", attributes: [], phone: "13800138000", channelConsent: ["sms"] });
    expect(await updateContactAction({ poolId: pool.id, id: String(stored!.id), name: "x", attributeKey: [], attributeValue: [] })).toMatchObject({ ok: true });
    const [kept] = await db().select().from(contacts).where(eq(contacts.id, stored!.id));
    expect(kept).toMatchObject({ name: "x", phone: "+8613800138000", channelConsent: ["sms"] });
  });

  it("suppresses per channel: an SMS opt-out does not suppress WhatsApp or e-mail; listed in pages by a unique key; lifted with a reason; audited", async () => {
    const [last] = await db().select({ id: auditLog.id }).from(auditLog).orderBy(desc(auditLog.id)).limit(1);
    const added = await addChannelSuppressions(ctx, { channel: "sms", addresses: "+86 138-0013-8000\n13900139000, 1380013800x\n13800138000", reason: "opted_out" });
    expect(added).toMatchObject({ added: 2, alreadySuppressed: 0, invalidCount: 1, invalid: [{ line: 2, value: "1380013800x", reason: "phoneNotANumber" }] });
    expect(await isChannelSuppressed(ctx, { departmentId, channel: "sms", address: "138 0013 8000" })).toBe(true);
    expect(await isChannelSuppressed(ctx, { departmentId, channel: "whatsapp", address: "13800138000" })).toBe(false);
    expect([...(await suppressedOnChannel(ctx, { departmentId, channel: "sms", addresses: ["+8613800138000", "+8613700137000"] }))]).toEqual(["+8613800138000"]);
    const emailSuppressions = await db().select().from(suppressions).where(eq(suppressions.departmentId, departmentId));
    expect(emailSuppressions).toEqual([]);

    const wecom = await addChannelSuppressions(ctx, { channel: "wecom", addresses: "zhang.san\n张 三", reason: "manual", note: "asked by phone" });
    expect(wecom).toMatchObject({ added: 1, invalidCount: 1, invalid: [{ line: 2, reason: "notWecomUserId" }] });
    expect((await listChannelSuppressions(ctx, "wecom")).rows.map((row) => row.address)).toEqual(["zhang.san"]);

    // More than a page, all added in one transaction (one created_at): the pages still cover each row once.
    const many = Array.from({ length: SUPPRESSION_PAGE_SIZE + 5 }, (_, index) => `+8613${String(700_000_000 + index).padStart(9, "0")}`);
    await addChannelSuppressions(ctx, { channel: "whatsapp", addresses: many.join("\n"), reason: "failed" });
    const first = await listChannelSuppressions(ctx, "whatsapp");
    expect(first.rows).toHaveLength(SUPPRESSION_PAGE_SIZE);
    const second = await listChannelSuppressions(ctx, "whatsapp", { before: first.nextBefore! });
    expect(second.nextBefore).toBeNull();
    expect(new Set([...first.rows, ...second.rows].map((row) => row.address))).toEqual(new Set(many));
    expect(await isChannelSuppressed(ctx, { departmentId, channel: "sms", address: many[0]! })).toBe(false);

    const refused = await rejection(removeChannelSuppression(ctx, { departmentId, channel: "sms", address: "+8613800138000", reason: "" }), AppError);
    expect(refused.reason).toBe("unsuppressReasonMissing");
    expect(await removeChannelSuppression(ctx, { departmentId, channel: "sms", address: "+8613800138000", reason: "asked to receive again" })).toEqual({ removed: true });
    expect(await isChannelSuppressed(ctx, { departmentId, channel: "sms", address: "+8613800138000" })).toBe(false);

    const audit = await db().select().from(auditLog).where(gt(auditLog.id, last!.id)).orderBy(asc(auditLog.id));
    expect(audit.map((row) => row.action)).toEqual(["channel_suppression.add", "channel_suppression.add", "channel_suppression.add", "channel_suppression.remove"]);
    expect(audit.every((row) => row.departmentId === departmentId)).toBe(true);
    const zh = auditWording("zh-CN");
    expect(describeStoredSummary(audit[0]!, zh)).toBe("在短信渠道屏蔽 2 个号码（本人退订）");
    expect(audit[3]!.summary).toBe("Removed +8613800138000 from the SMS suppression list (was opted out): asked to receive again");
  });

  it("keeps channel suppressions within their department", async () => {
    await addChannelSuppressions(ctx, { channel: "sms", addresses: "+8613600136000", reason: "manual" });
    expect((await listChannelSuppressions(other.ctx, "sms")).rows).toEqual([]);
    expect((await rejection(isChannelSuppressed(other.ctx, { departmentId, channel: "sms", address: "+8613600136000" }), AppError)).code).toBe("forbidden");
    expect((await rejection(addChannelSuppressions(other.ctx, { departmentId, channel: "sms", addresses: "+8613600136001", reason: "manual" }), AppError)).code).toBe("forbidden");
    const before = await snapshotState(db());
    expect((await rejection(removeChannelSuppression(other.ctx, { departmentId, channel: "sms", address: "+8613600136000", reason: "not mine" }), AppError)).code).toBe("forbidden");
    expect(await snapshotState(db())).toEqual(before);
    // The other department's own opt-out of the same number is its own row.
    await addChannelSuppressions(other.ctx, { channel: "sms", addresses: "+8613600136000", reason: "opted_out" });
    const rows = await db().select({ departmentId: channelSuppressions.departmentId, reason: channelSuppressions.reason }).from(channelSuppressions).where(eq(channelSuppressions.address, "+8613600136000"));
    expect(rows.sort((a, b) => a.departmentId.localeCompare(b.departmentId))).toEqual(
      [{ departmentId, reason: "manual" }, { departmentId: other.departmentId, reason: "opted_out" }].sort((a, b) => a.departmentId.localeCompare(b.departmentId)),
    );
  });

  it("answers the API with phone, wecomUserId and channelConsent on each contact; the upsert reports bad phones and keeps the contact", async () => {
    const key = (await createApiKey({ db: db(), actor: systemActor("test") }, { name: "crm", scope: { company: false, departmentId } })).secret;
    const call = (handler: (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>, method: string, path: string, id: string, body?: unknown, raw?: string) =>
      handler(
        new Request(`http://fanout.test/api/v1${path}`, {
          method,
          headers: { authorization: `Bearer ${key}`, "content-type": raw === undefined ? "application/json" : "text/csv" },
          body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
        }),
        { params: Promise.resolve({ id }) },
      ).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> }));
    const pool = await createPool(ctx, { name: unique("api") });
    const added = await call(addContactsRoute, "POST", `/pools/${pool.id}/contacts`, pool.id, {
      contacts: [
        { email: "api.one@phones.example", phone: "+86 138-0013-8000", wecomUserId: "api.one", channelConsent: ["sms"] },
        { email: "api.two@phones.example", phone: "not a phone" },
      ],
    });
    expect(added).toMatchObject({ status: 200, body: { added: 2, invalid: [], badPhones: [{ index: 1, phone: "not a phone" }] } });
    const refused = await call(addContactsRoute, "POST", `/pools/${pool.id}/contacts`, pool.id, { contacts: [{ email: "x@phones.example", channelConsent: ["fax"] }] });
    expect(refused.status).toBe(400);
    const page = await call(listContactsRoute, "GET", `/pools/${pool.id}/contacts`, pool.id);
    expect(page.body.contacts).toEqual([
      expect.objectContaining({ email: "api.one@phones.example", phone: "+8613800138000", wecomUserId: "api.one", channelConsent: ["sms"] }),
      expect.objectContaining({ email: "api.two@phones.example", phone: null, wecomUserId: null, channelConsent: [] }),
    ]);
    const imported = await call(importRoute, "POST", `/pools/${pool.id}/import?consent=whatsapp`, pool.id, undefined, "email,mobile\napi.three@phones.example,139 0013 9000\napi.four@phones.example,139\n");
    expect(imported).toMatchObject({ status: 200, body: { imported: 2, badPhoneCount: 1, badPhones: [{ line: 3, value: "139" }] } });
    const document = openApiDocument() as { components: { schemas: Record<string, { properties: Record<string, unknown>; required?: string[] }> } };
    expect(Object.keys(document.components.schemas.Contact!.properties)).toEqual(expect.arrayContaining(["phone", "wecomUserId", "channelConsent", "email", "tags"]));
  });

  it("shows a contact's phone, WeCom id and their opt-outs in the personal-data lookup, and erasing the address leaves no contact with them", async () => {
    const pool = await createPool(ctx, { name: unique("privacy") });
    await addContact(ctx, pool.id, { email: "person@phones.example", name: "P", attributes: [], phone: "13500135000", wecomUserId: "person.wx", channelConsent: ["sms"] });
    await addChannelSuppressions(ctx, { channel: "sms", addresses: "13500135000", reason: "opted_out" });
    const held = await lookupAddress(admin, "person@phones.example");
    expect(held.contacts).toEqual([expect.objectContaining({ phone: "+8613500135000", wecomUserId: "person.wx", channelConsent: ["sms"] })]);
    expect(held.channelSuppressions).toEqual([expect.objectContaining({ departmentId, channel: "sms", address: "+8613500135000", reason: "opted_out" })]);
    await eraseAddress(admin, { email: "person@phones.example", confirm: "person@phones.example" });
    expect(await db().select({ id: contacts.id }).from(contacts).where(eq(contacts.phone, "+8613500135000"))).toEqual([]);
    expect(await db().select({ id: contacts.id }).from(contacts).where(eq(contacts.wecomUserId, "person.wx"))).toEqual([]);
    expect((await lookupAddress(admin, "person@phones.example")).contacts).toEqual([]);
  });
});
