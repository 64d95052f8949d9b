import { describe, expect, it } from "vitest";
import { formatPhone, MAX_PHONE_INPUT, parsePhone } from "@/lib/channels/phone";
import { mappingFromHeader, suggestMapping } from "@/lib/pools/mapping";
import { prepareRow } from "@/lib/pools/import";
import { describeReason } from "@/lib/i18n/describe";
import { reasonsEn } from "@/lib/i18n/reasons-en";
import { reasonsZh } from "@/lib/i18n/reasons-zh";

describe("parsePhone (libphonenumber-js, company region)", () => {
  it("reads the ways people write Chinese numbers as E.164", () => {
    expect(parsePhone("+86 138-0013-8000", "CN")).toEqual({ ok: true, e164: "+8613800138000" });
    expect(parsePhone("13800138000", "CN")).toEqual({ ok: true, e164: "+8613800138000" });
    expect(parsePhone("(010) 1234 5678", "CN")).toEqual({ ok: true, e164: "+861012345678" });
    expect(parsePhone("１３８００１３８０００", "CN")).toEqual({ ok: true, e164: "+8613800138000" });
    expect(parsePhone("0086 138 0013 8000", "CN")).toEqual({ ok: true, e164: "+8613800138000" });
  });

  it("reads national numbers in the region given, and international ones in any", () => {
    expect(parsePhone("(415) 555-2671", "US")).toEqual({ ok: true, e164: "+14155552671" });
    expect(parsePhone("+44 20 7946 0958", "CN")).toEqual({ ok: true, e164: "+442079460958" });
    // The same digits are a Chinese fixed line (0415, Dandong) when the company's region is CN.
    expect(parsePhone("(415) 555-2671", "CN")).toEqual({ ok: true, e164: "+864155552671" });
  });

  it("says why a cell is not a number", () => {
    expect(parsePhone("1380013800a", "CN")).toEqual({ ok: false, reason: "not_a_number" });
    expect(parsePhone("call 13800138000", "CN")).toEqual({ ok: false, reason: "not_a_number" });
    expect(parsePhone("   ", "CN")).toEqual({ ok: false, reason: "empty" });
    expect(parsePhone("12345", "CN")).toEqual({ ok: false, reason: "too_short" });
    expect(parsePhone("138001380001234567", "CN")).toEqual({ ok: false, reason: "too_long" });
    expect(parsePhone("138001380", "CN")).toEqual({ ok: false, reason: "invalid" });
    expect(parsePhone("+999 1234 5678", "CN")).toEqual({ ok: false, reason: "invalid_country" });
  });

  it("refuses text over the bound before parsing it", () => {
    expect(parsePhone("1".repeat(MAX_PHONE_INPUT + 1), "CN")).toEqual({ ok: false, reason: "input_too_long" });
    expect(parsePhone(`${"(".repeat(10_000)}1`, "CN")).toEqual({ ok: false, reason: "input_too_long" });
  });

  it("formats E.164 for people", () => {
    expect(formatPhone("+8613800138000")).toBe("+86 138 0013 8000");
    expect(formatPhone("not a number")).toBe("not a number");
  });
});

describe("the phone column of an import", () => {
  it("is recognised by its header in both languages, and the console maps it instead of an attribute", () => {
    for (const header of ["phone", "Mobile", "TEL", "手机", "手机号", "手机号码", "电话", "联系电话"]) {
      const suggested = suggestMapping([["email", "name", header], ["a@example.com", "A", "13800138000"]]);
      expect(suggested.mapping).toMatchObject({ phoneColumn: 2, attributeColumns: [] });
    }
    expect(suggestMapping([["email", "city"], ["a@example.com", "SH"]]).mapping?.phoneColumn).toBeUndefined();
  });

  it("is read by the API and stays an attribute there, as it was before phones existed", () => {
    const mapping = mappingFromHeader(["email", "手机号"], { consent: ["sms"] })!;
    expect(mapping).toMatchObject({ phoneColumn: 1, attributeColumns: [{ index: 1, key: "手机号" }], consent: ["sms"] });
  });

  it("keeps a row whose phone is bad, without the phone, and says so in both languages", () => {
    const mapping = { emailColumn: 0, nameColumn: null, attributeColumns: [], phoneColumn: 1 };
    expect(prepareRow({ line: 2, fields: ["a@example.com", "+86 138-0013-8000"] }, mapping, "CN")).toMatchObject({ email: "a@example.com", phone: "+8613800138000" });
    expect(prepareRow({ line: 3, fields: ["b@example.com", ""] }, mapping, "CN")).not.toHaveProperty("phone");
    expect(prepareRow({ line: 3, fields: ["b@example.com", ""] }, mapping, "CN")).not.toHaveProperty("badPhone");
    const bad = prepareRow({ line: 4, fields: ["c@example.com", "138-ABCD-8000"] }, mapping, "CN");
    expect(bad).toMatchObject({ email: "c@example.com", badPhone: { reason: "importBadPhone", value: "138-ABCD-8000" } });
    expect(bad).not.toHaveProperty("phone");
    const problem = (bad as { badPhone: { reason: string; params: Record<string, string> } }).badPhone;
    expect(describeReason(reasonsEn, problem.reason, problem.params)).toBe('the phone number "138-ABCD-8000" is not a phone number (letters or other text in it); the contact was imported without it');
    expect(describeReason(reasonsZh, problem.reason, problem.params)).toBe("电话号码“138-ABCD-8000”不是电话号码（含有字母或其他文字）；该联系人已导入，但未保存此号码");
  });
});
