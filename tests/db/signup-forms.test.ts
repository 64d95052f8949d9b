/**
 * Hosted sign-up forms (issue 19): the settings a pool's form is saved with, refused field by
 * field and only for the caller's own pools; and the public post, through its route handler as a
 * browser or another site sends it — double opt-in with only the declared attributes, a refusal
 * naming its field, the honeypot, the per-IP limit, a form switched off, and text in GB18030 or
 * in no encoding at all.
 */
import { and, eq } from "drizzle-orm";
import { simpleParser } from "mailparser";
import { beforeAll, expect, it, vi } from "vitest";
import { auditLog, contacts, outboxMessages, poolMembers, signupForms } from "@/db/schema";
import { POST as submitRoute } from "@/app/f/[id]/submit/route";
import { saveSignupForm as saveAction } from "@/app/(console)/pools/[id]/form/actions";
import { systemActor } from "@/lib/access/actor";
import type { Ctx } from "@/lib/access/context";
import { AppError } from "@/lib/errors";
import { honeypotCount, SIGNUPS_PER_IP_PER_HOUR } from "@/lib/forms/limits";
import { publicSignupForm } from "@/lib/forms/public";
import { decodeFormErrors, decodeTypedValues, TYPED_COOKIE } from "@/lib/forms/round-trip";
import type { SignupFormSettingsInput } from "@/lib/forms/settings";
import { loadSignupForm, saveSignupForm } from "@/lib/forms/store";
import { createPool } from "@/lib/pools/pools";
import { confirmSubscription } from "@/lib/pools/subscribe";
import { describeOnDatabases } from "../helpers/db";
import { GB18030 } from "../helpers/bytes";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";
import { serveAs } from "../helpers/next-headers";
import { rejection } from "../helpers/rejection";

vi.mock("next/headers", () => import("../helpers/next-headers"));

const SETTINGS: SignupFormSettingsInput = {
  enabled: true,
  title: "订阅我们的月报",
  intro: "每月一封，随时可以退订。",
  askName: true,
  fields: [
    { attribute: "城市", label: "所在城市", required: true },
    { attribute: "company", label: "公司", required: false },
  ],
  consentText: "我同意接收邮件",
  logoUrl: "https://example.com/logo.png",
  colour: "#0F766E",
  language: "zh",
};

const percent = (bytes: number[]) => bytes.map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`).join("");
const encode = (values: Record<string, string>) => new URLSearchParams(values).toString();

describeOnDatabases("hosted sign-up forms", (db) => {
  let department: { id: string; name: string };
  let user: { id: string; email: string };
  let ctx: Ctx;
  let ipCounter = 0;
  /** Each test posts from addresses of its own, so the per-IP limit of one never reaches another. */
  const freshIp = () => `192.0.2.${++ipCounter}`;

  beforeAll(async () => {
    department = await makeDepartment(db());
    user = await makeUser(db(), "department", { departmentId: department.id });
    ctx = { db: db(), actor: actorFor(user, "department", department.id) };
  });

  async function formOnNewPool(settings: Partial<SignupFormSettingsInput> = {}) {
    const pool = await createPool(ctx, { name: unique("sign-ups") });
    const form = await saveSignupForm(ctx, pool.id, { ...SETTINGS, ...settings });
    return { pool, form };
  }

  async function post(formId: string, body: string, options: { ip?: string; type?: string } = {}) {
    const request = new Request(`http://fanout.test/f/${formId}/submit`, {
      method: "POST",
      headers: { "content-type": options.type ?? "application/x-www-form-urlencoded", "x-fanout-peer": options.ip ?? freshIp(), origin: "https://another-site.example" },
      body,
    });
    const response = await submitRoute(request, { params: Promise.resolve({ id: formId }) });
    const location = response.headers.get("location") ?? "";
    const query = new URL(location || "/", "http://fanout.test").searchParams;
    const cookie = /^fanout-form-typed=([^;]*)/.exec(response.headers.get("set-cookie") ?? "")?.[1];
    return { status: response.status, location, errors: decodeFormErrors(query.get("errors") ?? undefined), typed: decodeTypedValues(cookie), headers: response.headers };
  }

  const contactOf = async (email: string) =>
    (await db().select().from(contacts).where(and(eq(contacts.departmentId, department.id), eq(contacts.email, email))))[0];
  const mailTo = (email: string) => db().select().from(outboxMessages).where(eq(outboxMessages.toAddress, email));

  it("refuses settings field by field, in the domain and through the console action, storing nothing", async () => {
    const pool = await createPool(ctx, { name: unique("strict") });
    const refused = async (settings: Partial<SignupFormSettingsInput>) => {
      const error = await rejection(saveSignupForm(ctx, pool.id, { ...SETTINGS, ...settings }), AppError);
      return { field: error.field, reason: error.reason };
    };
    expect(await refused({ colour: "red" })).toEqual({ field: "colour", reason: "notColour" });
    expect(await refused({ colour: "#12345g" })).toEqual({ field: "colour", reason: "notColour" });
    expect(await refused({ logoUrl: "http://example.com/logo.png" })).toEqual({ field: "logoUrl", reason: "notHttpsUrl" });
    expect(await refused({ logoUrl: "javascript:alert(1)" })).toEqual({ field: "logoUrl", reason: "notHttpsUrl" });
    expect(await refused({ logoUrl: `https://example.com/${"a".repeat(500)}` })).toEqual({ field: "logoUrl", reason: "tooLong" });
    expect(await refused({ title: "  " })).toEqual({ field: "title", reason: "required" });
    expect(await refused({ consentText: "同".repeat(1001) })).toEqual({ field: "consentText", reason: "tooLong" });
    const many = Array.from({ length: 11 }, (_, index) => ({ attribute: `a${index}`, label: `A${index}`, required: false }));
    expect(await refused({ fields: many })).toEqual({ field: "fields", reason: "tooMany" });
    expect(await refused({ fields: [{ attribute: "Email", label: "邮箱", required: true }] })).toEqual({ field: "fields.0.attribute", reason: "formAttributeReserved" });
    expect(await refused({ fields: [{ attribute: "城市", label: "城市", required: true }, { attribute: "城市", label: "又一个", required: false }] })).toEqual({
      field: "fields.1.attribute",
      reason: "formAttributeTwice",
    });
    expect(await refused({ fields: [{ attribute: "a\u0000b", label: "x", required: false }] })).toEqual({ field: "fields.0.attribute", reason: "formAttributeUnreadable" });
    expect(await refused({ fields: [{ attribute: "x".repeat(101), label: "x", required: false }] })).toEqual({ field: "fields.0.attribute", reason: "tooLong" });
    expect(await refused({ fields: [{ attribute: "city", label: "L".repeat(101), required: false }] })).toEqual({ field: "fields.0.label", reason: "tooLong" });
    expect(await refused({ language: "fr" as "zh" })).toEqual({ field: "language", reason: "notChoice" });

    // The console posts a FormData-shaped object: every refusal comes back at once, by field.
    await serveAs(user);
    const result = await saveAction({ poolId: pool.id, enabled: "on", askName: "", title: "", colour: "#abc", logoUrl: "ftp://example.com/x", language: "zh", fields: "[{\"attribute\":\"\",\"label\":\"x\"}]" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.fromEntries(Object.entries(result.error.fieldErrors ?? {}).map(([field, refusal]) => [field, refusal.reason]))).toEqual({
      title: "required",
      colour: "notColour",
      logoUrl: "notHttpsUrl",
      "fields.0.attribute": "required",
    });
    expect(await db().select().from(signupForms).where(eq(signupForms.poolId, pool.id))).toEqual([]);
  });

  it("keeps one form per pool, audits each save, and refuses a pool of another department", async () => {
    const { pool, form } = await formOnNewPool();
    expect(form).toMatchObject({ poolId: pool.id, departmentId: department.id, colour: "#0f766e", fields: SETTINGS.fields, language: "zh" });
    await serveAs(user);
    const again = await saveAction({ ...SETTINGS, poolId: pool.id, title: "新标题", enabled: "on", askName: "", fields: JSON.stringify([]) });
    expect(again).toEqual({ ok: true, data: { id: form.id } });
    const { form: loaded } = await loadSignupForm(ctx, pool.id);
    expect(loaded).toMatchObject({ id: form.id, title: "新标题", askName: false, fields: [] });
    const audits = await db().select().from(auditLog).where(and(eq(auditLog.action, "form.update"), eq(auditLog.objectId, form.id)));
    expect(audits.map((row) => row.summary)).toEqual([
      `Saved the sign-up form "${SETTINGS.title}" of pool "${pool.name}" (2 fields besides the address)`,
      `Saved the sign-up form "新标题" of pool "${pool.name}" (0 fields besides the address)`,
    ]);

    const other = await makeDepartment(db());
    const theirs = await createPool({ db: db(), actor: systemActor("test") }, { name: unique("theirs"), departmentId: other.id });
    expect((await rejection(saveSignupForm(ctx, theirs.id, SETTINGS), AppError)).code).toBe("forbidden");
    expect((await rejection(loadSignupForm(ctx, theirs.id), AppError)).code).toBe("forbidden");
    expect(await saveAction({ ...SETTINGS, poolId: theirs.id, fields: "[]" })).toMatchObject({ ok: false, error: { code: "forbidden" } });
    expect(await db().select().from(signupForms).where(eq(signupForms.poolId, theirs.id))).toEqual([]);
    const admin = await makeUser(db(), "admin");
    const saved = await saveSignupForm({ db: db(), actor: actorFor(admin, "admin") }, theirs.id, SETTINGS);
    expect(saved.departmentId).toBe(other.id);
  });

  it("adds a pending contact with only the declared attributes and mails one confirmation that activates it", async () => {
    const { pool, form } = await formOnNewPool();
    const email = `${unique("reader")}@example.com`;
    const answer = await post(
      form.id,
      encode({ email: ` ${email.toUpperCase()} `, name: "王芳", "field.城市": "上海", "field.company": "Acme", "field.secret": "no", vip: "yes", consent: "yes", lang: "zh", website: "" }),
    );
    expect(answer).toMatchObject({ status: 303, location: `/f/${form.id}/thanks?lang=zh` });
    expect(answer.headers.get("set-cookie")).toContain("Max-Age=0");
    const contact = await contactOf(email);
    expect(contact).toMatchObject({ status: "pending", name: "王芳", attributes: { 城市: "上海", company: "Acme" } });
    expect(await db().select().from(poolMembers).where(and(eq(poolMembers.poolId, pool.id), eq(poolMembers.contactId, contact!.id)))).toHaveLength(1);
    const [audit] = await db().select().from(auditLog).where(and(eq(auditLog.action, "pool.subscribe"), eq(auditLog.objectId, String(contact!.id))));
    expect(audit).toMatchObject({ operatorLabel: `sign-up form (${SETTINGS.title})`, departmentId: department.id });

    const messages = await mailTo(email);
    expect(messages).toHaveLength(1);
    const link = new URL(/https?:\/\/\S+/.exec((await simpleParser(messages[0]!.mime)).text ?? "")![0]);
    expect(link.pathname).toBe("/u/confirm");
    expect(await confirmSubscription(db(), link.searchParams.get("token")!)).toEqual({ status: "confirmed", email });
    expect((await contactOf(email))!.status).toBe("active");
  });

  it("sends a refused post back to the form naming each field, in the visitor's language, keeping what was typed", async () => {
    const { form } = await formOnNewPool();
    const email = `${unique("forgetful")}@example.com`;
    const answer = await post(form.id, encode({ email, name: "张伟", "field.company": "Acme", lang: "en" }));
    expect(answer.status).toBe(303);
    expect(answer.location.startsWith(`/f/${form.id}?lang=en&errors=`)).toBe(true);
    expect(answer.errors).toEqual([
      { field: "field.城市", reason: "required", params: {} },
      { field: "consent", reason: "formConsentRequired", params: {} },
    ]);
    expect(answer.typed).toEqual({ email, name: "张伟", "field.company": "Acme" });
    expect(answer.headers.get("set-cookie")).toMatch(new RegExp(`^${TYPED_COOKIE}=[^;]+; Path=/f/${form.id}; Max-Age=600; HttpOnly; SameSite=Lax`));
    expect(await contactOf(email)).toBeUndefined();

    const badAddress = await post(form.id, encode({ email: "someone.example.com", "field.城市": "北京", consent: "yes" }));
    expect(badAddress.errors).toEqual([{ field: "email", reason: "addressMissingAt", params: {} }]);
    // No lang field: the browser's language, else the form's.
    const noLang = (accept: string) =>
      submitRoute(
        new Request(`http://fanout.test/f/${form.id}/submit`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "accept-language": accept, "x-fanout-peer": freshIp() }, body: "email=" }),
        { params: Promise.resolve({ id: form.id }) },
      ).then((response) => new URL(response.headers.get("location")!, "http://x").searchParams.get("lang"));
    expect(await noLang("fr-FR, en;q=0.8, zh;q=0.5")).toBe("en");
    expect(await noLang("de-DE")).toBe("zh");
  });

  it("answers a filled honeypot exactly as a success, adds nobody and counts it", async () => {
    const { form } = await formOnNewPool();
    const email = `${unique("bot")}@example.com`;
    const before = honeypotCount(form.id);
    const answer = await post(form.id, encode({ email, name: "Bot", "field.城市": "x", consent: "yes", lang: "zh", website: "https://spam.example" }));
    expect(answer).toMatchObject({ status: 303, location: `/f/${form.id}/thanks?lang=zh`, errors: [] });
    expect(answer.headers.get("set-cookie")).toContain("Max-Age=0");
    expect(honeypotCount(form.id)).toBe(before + 1);
    expect(await contactOf(email)).toBeUndefined();
    expect(await mailTo(email)).toEqual([]);
  });

  it(`takes ${SIGNUPS_PER_IP_PER_HOUR} sign-ups an hour from one IP to one form, then refuses with a reason`, async () => {
    const { form } = await formOnNewPool({ consentText: "", fields: [] });
    const ip = freshIp();
    const signUp = (index: number, from = ip) => post(form.id, encode({ email: `limit-${index}-${form.id.slice(0, 8)}@example.com`, lang: "en" }), { ip: from });
    for (let index = 0; index < SIGNUPS_PER_IP_PER_HOUR; index++) expect((await signUp(index)).location).toBe(`/f/${form.id}/thanks?lang=en`);
    const refused = await signUp(99);
    expect(refused.errors).toEqual([{ field: "form", reason: "formTooManySignups", params: { minutes: 60 } }]);
    expect(await contactOf(`limit-99-${form.id.slice(0, 8)}@example.com`)).toBeUndefined();
    expect((await signUp(100, freshIp())).location).toBe(`/f/${form.id}/thanks?lang=en`);
  });

  it("answers 404 for a form switched off, an unknown id and a malformed one", async () => {
    const { pool, form } = await formOnNewPool();
    expect(await publicSignupForm(db(), form.id)).not.toBeNull();
    await saveSignupForm(ctx, pool.id, { ...SETTINGS, enabled: false });
    expect(await publicSignupForm(db(), form.id)).toBeNull();
    const email = `${unique("late")}@example.com`;
    expect((await post(form.id, encode({ email, "field.城市": "上海", consent: "yes" }))).status).toBe(404);
    expect((await post("00000000-0000-4000-8000-000000000000", encode({ email }))).status).toBe(404);
    expect((await post("../../api", encode({ email }))).status).toBe(404);
    expect(await contactOf(email)).toBeUndefined();
  });

  it("reads a post from a GB18030 page by its _charset_, and refuses unreadable text, other bodies and large ones by field", async () => {
    const { form } = await formOnNewPool({ consentText: "", fields: [{ attribute: "city", label: "城市", required: true }] });
    const email = `${unique("gbk")}@example.cn`;
    const gbk = `email=${encodeURIComponent(email)}&name=${percent(GB18030.zhangWei)}&field.city=${percent(GB18030.zhongWen)}&_charset_=GB18030&lang=zh`;
    expect((await post(form.id, gbk)).location).toBe(`/f/${form.id}/thanks?lang=zh`);
    expect(await contactOf(email)).toMatchObject({ name: "张伟", attributes: { city: "中文" } });

    // The same bytes without saying their encoding are not UTF-8: refused by field, nothing stored as mojibake.
    const unsaid = `${unique("raw")}@example.cn`;
    const raw = await post(form.id, `email=${encodeURIComponent(unsaid)}&name=${percent(GB18030.zhangWei)}&field.city=a%00b`);
    expect(raw.errors).toEqual([
      { field: "name", reason: "formUnreadable", params: {} },
      { field: "field.city", reason: "formUnreadable", params: {} },
    ]);
    expect(await contactOf(unsaid)).toBeUndefined();

    const multipart = new FormData();
    multipart.set("email", `${unique("multi")}@example.cn`);
    multipart.set("field.city", "深圳");
    const request = new Request(`http://fanout.test/f/${form.id}/submit`, { method: "POST", headers: { "x-fanout-peer": freshIp() }, body: multipart });
    expect((await submitRoute(request, { params: Promise.resolve({ id: form.id }) })).headers.get("location")).toBe(`/f/${form.id}/thanks?lang=zh`);

    expect((await post(form.id, JSON.stringify({ email }), { type: "application/json" })).errors).toEqual([{ field: "form", reason: "formNotAForm", params: {} }]);
    expect((await post(form.id, `email=${"a".repeat(70_000)}`)).status).toBe(413);
    const long = await post(form.id, encode({ email: `${unique("long")}@example.cn`, name: "名".repeat(201), "field.city": "x".repeat(1001) }));
    expect(long.errors).toEqual([
      { field: "name", reason: "tooLong", params: { max: 200 } },
      { field: "field.city", reason: "tooLong", params: { max: 1000 } },
    ]);
  });
});
