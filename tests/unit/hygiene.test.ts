/**
 * List hygiene's pure parts: the provider typo suggester (right on the slips people make, silent on
 * real domains next to the providers), role and disposable detection, and the MX verdicts over an
 * in-memory resolver (RFC 5321 implicit MX, RFC 7505 Null MX, temporary failures left unknown).
 */
import { describe, expect, it } from "vitest";
import { isDisposableDomain } from "@/lib/pools/hygiene/disposable";
import { checkAddress } from "@/lib/pools/hygiene/flags";
import { MxChecker } from "@/lib/pools/hygiene/mx";
import { isRoleAddress } from "@/lib/pools/hygiene/role";
import { BIG_PROVIDERS, boundedDistance, suggestDomain } from "@/lib/pools/hygiene/typo";
import { MemoryResolver } from "../helpers/memory-resolver";

describe("typo suggestions", () => {
  it.each([
    ["gmial.com", "gmail.com"],
    ["gmai.com", "gmail.com"],
    ["gmail.con", "gmail.com"],
    ["gmail.comm", "gmail.com"],
    ["gmial.con", "gmail.com"],
    ["qq.con", "qq.com"],
    ["qq.cm", "qq.com"],
    ["qq.co", "qq.com"],
    ["163.cm", "163.com"],
    ["163.con", "163.com"],
    ["126.cpm", "126.com"],
    ["hotmial.com", "hotmail.com"],
    ["hotmal.com", "hotmail.com"],
    ["outlok.com", "outlook.com"],
    ["yahooo.com", "yahoo.com"],
    ["yaho.com", "yahoo.com"],
    ["icoud.com", "icloud.com"],
    ["foxmial.com", "foxmail.com"],
    ["yeah.nte", "yeah.net"],
    ["sina.con", "sina.com"],
    ["aliyun.cm", "aliyun.com"],
    ["ymail.con", "ymail.com"],
  ])("%s → %s", (typed, meant) => {
    expect(suggestDomain(typed)).toBe(meant);
  });

  it.each([
    ...BIG_PROVIDERS,
    "gmx.com", "gmx.net", "ymail.com", "live.com", "mail.ru", "mail.com", "email.com", "me.com", "msn.com",
    "aol.com", "126.com", "163.com", "qq.com", "188.com", "139.com", "sina.cn", "sina.com.cn", "vip.qq.com",
    "yahoo.co.jp", "hotmail.co.uk", "hotmail.fr", "outlook.jp", "qz.com", "q.com", "136.com", "example.com",
    "gmail.co.uk", "company.com", "sohu.net", "tom.cn", "xn--fiqs8s", "mail.gmail.com",
  ])("leaves %s alone", (domain) => {
    expect(suggestDomain(domain)).toBeNull();
  });

  it("measures adjacent swaps as one edit and stops past the bound", () => {
    expect(boundedDistance("gmial", "gmail", 1)).toBe(1);
    expect(boundedDistance("gmail", "gmail", 1)).toBe(0);
    expect(boundedDistance("hotmail", "foxmail", 1)).toBe(2);
    expect(boundedDistance("outlook", "o", 2)).toBe(3);
  });

  it("keeps the part before the @ in the suggested address", () => {
    expect(checkAddress("zhang.san@gmial.com")).toEqual({ flags: ["disposable", "typo"], suggestion: "zhang.san@gmail.com" });
    expect(checkAddress("li@qq.con")).toEqual({ flags: ["typo"], suggestion: "li@qq.com" });
    expect(checkAddress("li@qq.com")).toEqual({ flags: [], suggestion: null });
  });
});

describe("role and disposable addresses", () => {
  it("knows role names, with or without a +tag, and not people's names", () => {
    for (const address of ["admin@example.com", "noreply@example.com", "no-reply@example.com", "postmaster@example.com", "noreply+bounces@example.com", "kefu@example.cn"]) {
      expect(isRoleAddress(address), address).toBe(true);
    }
    for (const address of ["zhang.san@example.com", "ann@example.com", "admin.li@example.com", "wang@example.com"]) {
      expect(isRoleAddress(address), address).toBe(false);
    }
  });

  it("finds a disposable domain and its subdomains, and not the big providers", () => {
    expect(isDisposableDomain("mailinator.com")).toBe(true);
    expect(isDisposableDomain("inbox.mailinator.com")).toBe(true);
    for (const domain of ["gmail.com", "qq.com", "163.com", "example.com", "com"]) expect(isDisposableDomain(domain), domain).toBe(false);
  });
});

describe("MX verdicts", () => {
  const resolver = () =>
    new MemoryResolver({
      "mail.example": { mx: [{ exchange: "mx1.mail.example", priority: 10 }] },
      "nullmx.example": { mx: [{ exchange: "", priority: 0 }] },
      "nullmx-dot.example": { mx: [{ exchange: ".", priority: 0 }] },
      "aonly.example": { a: ["192.0.2.1"] },
      "v6only.example": { aaaa: ["2001:db8::1"] },
      "empty.example": {},
      "servfail.example": { mx: "ESERVFAIL" },
      "slow.example": { hang: true },
      "a-flaky.example": { a: "ETIMEOUT" },
    });

  it("says mail, no mail or unknown as RFC 5321 and 7505 read DNS", async () => {
    const checker = new MxChecker({ resolver: resolver(), timeoutMs: 50 });
    const verdicts = await checker.checkAll([
      "mail.example", "nullmx.example", "nullmx-dot.example", "aonly.example", "v6only.example", "empty.example",
      "servfail.example", "slow.example", "a-flaky.example", "nowhere.example",
    ]);
    expect(Object.fromEntries(verdicts)).toEqual({
      "mail.example": "mail",
      "nullmx.example": "no_mail",
      "nullmx-dot.example": "no_mail",
      "aonly.example": "mail",
      "v6only.example": "mail",
      "empty.example": "no_mail",
      "servfail.example": "unknown",
      "slow.example": "unknown",
      "a-flaky.example": "unknown",
      "nowhere.example": "no_mail",
    });
  });

  it("asks once per domain, remembers answers but not failures, and keeps to its concurrency", async () => {
    const dns = resolver();
    let inFlight = 0;
    let most = 0;
    const counting = {
      resolveMx: async (domain: string) => {
        inFlight++;
        most = Math.max(most, inFlight);
        try {
          return await dns.resolveMx(domain);
        } finally {
          inFlight--;
        }
      },
      resolve4: (domain: string) => dns.resolve4(domain),
      resolve6: (domain: string) => dns.resolve6(domain),
    };
    const checker = new MxChecker({ resolver: counting, concurrency: 2 });
    const domains = ["mail.example", "mail.example", "aonly.example", "servfail.example", "empty.example", "nowhere.example"];
    await checker.checkAll(domains);
    await checker.checkAll(domains);
    expect(most).toBeLessThanOrEqual(2);
    expect(dns.count("MX", "mail.example")).toBe(1);
    expect(dns.count("MX", "aonly.example")).toBe(1);
    expect(dns.count("MX", "servfail.example")).toBe(2);
  });
});
