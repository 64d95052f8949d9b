import { describe, expect, it } from "vitest";
import { readAddressCell } from "@/lib/pools/address-cell";
import { prepareRow } from "@/lib/pools/import";
import { suggestMapping } from "@/lib/pools/mapping";

describe("address cells with a display name", () => {
  it.each([
    ['"张三" <zhang@example.com>', "zhang@example.com", "张三"],
    ["Name <a@b.cn>", "a@b.cn", "Name"],
    ["李四<LI@Example.com>", "li@example.com", "李四"],
    ["  “王五” <wang@example.com>  ", "wang@example.com", "王五"],
    ["赵六 ＜zhao@example.com＞", "zhao@example.com", "赵六"],
    ['"Smith, John \\"JJ\\"" <john@example.com>', "john@example.com", 'Smith, John "JJ"'],
    ["'O Brien' <ob@example.com>", "ob@example.com", "O Brien"],
    ['"A <b>" <a@example.com>', "a@example.com", "A <b>"],
    ["<bare@example.com>", "bare@example.com", ""],
    ["plain@example.com", "plain@example.com", ""],
  ])("reads %j as %s named %j", (raw, email, name) => {
    expect(readAddressCell(raw)).toEqual({ ok: true, email, name });
  });

  it.each([
    ['"张三" <zhang-at-example.com>', "addressMissingAt"],
    ["Name <>", "addressEmpty"],
    ["Name <a@b.cn", "addressSpaces"],
  ])("refuses %j with the address's own reason", (raw, reason) => {
    expect(readAddressCell(raw)).toEqual({ ok: false, reason, params: {} });
  });

  it("names the contact from the cell only when the name column is empty", () => {
    const mapping = { emailColumn: 0, nameColumn: 1, attributeColumns: [] };
    expect(prepareRow({ line: 2, fields: ['"张三" <zhang@example.com>', ""] }, mapping)).toMatchObject({ email: "zhang@example.com", name: "张三" });
    expect(prepareRow({ line: 3, fields: ['"张三" <zhang@example.com>', "张老师"] }, mapping)).toMatchObject({ email: "zhang@example.com", name: "张老师" });
    expect(prepareRow({ line: 4, fields: ["Name <a@b.cn>"] }, { ...mapping, nameColumn: null })).toMatchObject({ email: "a@b.cn", name: "Name" });
    expect(prepareRow({ line: 5, fields: ["Name <a-b.cn>"] }, mapping)).toMatchObject({ line: 5, reason: "addressMissingAt", params: {}, value: "Name <a-b.cn>" });
  });

  it("finds a column of named addresses and sees no header above it", () => {
    const preview = [
      ["编号", "收件人"],
      ["1", '"张三" <zhang@example.com>'],
      ["2", "Li Si <li@example.com>"],
    ];
    expect(suggestMapping(preview)).toMatchObject({ hasHeader: true, mapping: { emailColumn: 1 } });
    expect(suggestMapping(preview.slice(1))).toMatchObject({ hasHeader: false, mapping: { emailColumn: 1 } });
  });
});
