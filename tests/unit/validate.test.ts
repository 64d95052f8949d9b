import { describe, expect, it } from "vitest";
import { addressProblemInEnglish, normalizeAddress } from "@/lib/addresses/normalize";

const local64 = "a".repeat(64);
/** A domain of exactly `length` characters made of 63-character labels. */
function domainOf(length: number): string {
  const labels: string[] = [];
  let left = length - ".com".length;
  while (left > 0) {
    const size = Math.min(63, left);
    labels.push("d".repeat(size));
    left -= size + 1;
  }
  const domain = `${labels.join(".")}.com`;
  return domain.length === length ? domain : `${domain.slice(0, length - 4 - 1)}x.com`;
}

const valid: [string, string][] = [
  ["john@example.com", "john@example.com"],
  ["John.Doe@Example.COM", "john.doe@example.com"],
  ["  a@b.co  ", "a@b.co"],
  ["\u3000zhangsan@qq.com\u3000", "zhangsan@qq.com"],
  ["\u00a0\u200bmax@example.org\ufeff\u200d", "max@example.org"],
  ["<Someone@Example.com>", "someone@example.com"],
  ["mailto:Sales@Example.com", "sales@example.com"],
  ["<mailto:x@y.io>", "x@y.io"],
  ["user+tag@example.com", "user+tag@example.com"],
  ["o'brien@example.ie", "o'brien@example.ie"],
  ["a!#$%&'*+-/=?^_`{|}~z@example.com", "a!#$%&'*+-/=?^_`{|}~z@example.com"],
  ["x@sub-domain.example.co.uk", "x@sub-domain.example.co.uk"],
  ["admin@例子.中国", "admin@xn--fsqu00a.xn--fiqs8s"],
  ["admin@例子。中国", "admin@xn--fsqu00a.xn--fiqs8s"],
  ["info@Bücher.de", "info@xn--bcher-kva.de"],
  ['"john doe"@example.com', '"john doe"@example.com'],
  ['"a@b"@example.com', '"a@b"@example.com'],
  ['"John"@example.com', "john@example.com"],
  ['"dots..inside"@example.com', '"dots..inside"@example.com'],
  ["1234567@qq.com", "1234567@qq.com"],
  ["a@123.com", "a@123.com"],
  [`${local64}@example.com`, `${local64}@example.com`],
  [`${local64}@${domainOf(189)}`, `${local64}@${domainOf(189)}`],
  [`a@${"b".repeat(63)}.com`, `a@${"b".repeat(63)}.com`],
];

const invalid: [string, string | RegExp][] = [
  ["", "address is empty"],
  ["   \u3000 ", "address is empty"],
  ["<>", "address is empty"],
  ["john.example.com", "missing @"],
  ["a@b@example.com", "more than one @"],
  ["@example.com", "nothing before the @"],
  ['""@example.com', "nothing before the @"],
  ["user@", "nothing after the @"],
  ['"用户"@example.com', "non-ASCII characters inside quotes before the @ are not supported"],
  ["用户 名@example.com", "spaces are not allowed"],
  ["用户\u3000名@example.com", "spaces are not allowed"],
  ["用户,名@example.com", 'invalid character "," before the @'],
  ['用"户@example.com', `invalid character '"' before the @`],
  ["用户..名@example.com", "two dots in a row before the @"],
  [".用户@example.com", "the part before the @ starts with a dot"],
  [`${"中".repeat(22)}@example.com`, /longer than 64/],
  [`${local64}a@example.com`, /longer than 64/],
  [`a@${domainOf(254)}`, /domain is longer than 253/],
  [`${local64}@${domainOf(190)}`, /address is longer than 254/],
  [`a@${"b".repeat(64)}.com`, /longer than 63/],
  ["a@example..com", "two dots in a row in the domain"],
  ["a@.example.com", "the domain starts or ends with a dot"],
  ["a@example.com.", "the domain starts or ends with a dot"],
  ["a@-example.com", /starts or ends with a hyphen/],
  ["a@example-.com", /starts or ends with a hyphen/],
  ["a@localhost", /has no dot/],
  ["a@192.168.0.1", "the top-level domain is all digits"],
  ["a@[192.0.2.1]", "address literals are not accepted"],
  ["a@exa_mple.com", 'invalid character "_" in the domain'],
  ["a,b@example.com", 'invalid character "," before the @'],
  ["a(b)@example.com", 'invalid character "(" before the @'],
  ['a"b@example.com', `invalid character '"' before the @`],
  ["john..doe@example.com", "two dots in a row before the @"],
  [".john@example.com", "the part before the @ starts with a dot"],
  ["john.@example.com", "the part before the @ ends with a dot"],
  ["john doe@example.com", "spaces are not allowed"],
  ["john@exa mple.com", "spaces are not allowed"],
  ['"john@example.com', "a quote in the address is not closed"],
  ['"john"x@example.com', "text after the closing quote before the @"],
  ["John Doe <john@example.com>", "spaces are not allowed"],
  ["a@例子.xn--zz", "the domain is not a valid international domain name"],
];

/** Addresses whose part before the @ is Unicode (RFC 6531): kept as typed (NFC, ASCII letters folded), domain in punycode. */
const international: [string, string][] = [
  ["中文@例子.中国", "中文@xn--fsqu00a.xn--fiqs8s"],
  ["用户@例子.中国", "用户@xn--fsqu00a.xn--fiqs8s"],
  ["josé@example.com", "josé@example.com"],
  ["jose\u0301@example.com", "josé@example.com"],
  ["José.Smith@Example.COM", "josé.smith@example.com"],
  ["ÉLODIE@example.fr", "Élodie@example.fr"],
  ["<用户+新闻@例子。中国>", "用户+新闻@xn--fsqu00a.xn--fiqs8s"],
  ["δοκιμή@παράδειγμα.δοκιμή", "δοκιμή@xn--hxajbheg2az3al.xn--jxalpdlp"],
  [`${"中".repeat(21)}@example.com`, `${"中".repeat(21)}@example.com`],
];

describe("normalizeAddress", () => {
  it("builds the length fixtures it relies on", () => {
    expect(domainOf(189)).toHaveLength(189);
    expect(domainOf(190)).toHaveLength(190);
    expect(domainOf(254)).toHaveLength(254);
    expect(`${local64}@${domainOf(189)}`).toHaveLength(254);
  });

  it.each(valid)("accepts %j as %j", (raw, email) => {
    expect(normalizeAddress(raw)).toEqual({ ok: true, email });
  });

  it.each(international)("accepts %j as %j, marked as needing SMTPUTF8", (raw, email) => {
    expect(normalizeAddress(raw)).toEqual({ ok: true, email, utf8: true });
  });

  it.each(invalid)("refuses %j", (raw, reason) => {
    const result = normalizeAddress(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      if (typeof reason === "string") expect(addressProblemInEnglish(result)).toBe(reason);
      else expect(addressProblemInEnglish(result)).toMatch(reason);
    }
  });

  it("names invisible characters by code point", () => {
    expect(normalizeAddress("用\u200b户@example.com")).toEqual({ ok: false, reason: "addressLocalBadChar", params: { char: "U+200B" } });
    expect(normalizeAddress("user\u202e@example.com")).toEqual({ ok: false, reason: "addressLocalBadChar", params: { char: "U+202E" } });
    expect(normalizeAddress("jos\u0085é@example.com")).toEqual({ ok: false, reason: "addressLocalBadChar", params: { char: "U+0085" } });
    expect(normalizeAddress("a\u0001b@example.com")).toEqual({ ok: false, reason: "addressLocalBadChar", params: { char: "U+0001" } });
  });
});
