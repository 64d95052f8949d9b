/**
 * Every operation-log summary the server writes is worded in both languages. The sources are read
 * with the TypeScript compiler: each message key and note named in a `summary: { key, notes }`
 * given to recordAudit must have its entry in audit-summaries-en.ts and -zh.ts; the two say the
 * same values; and the Chinese carries no Latin text beyond the technical names.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { auditSummariesEn, type AuditSummary } from "@/lib/i18n/audit-summaries-en";
import { auditSummariesZh } from "@/lib/i18n/audit-summaries-zh";
import { auditWording, describeAuditSummary, describeStoredSummary, englishAuditSummary } from "@/lib/i18n/describe-audit";
import { reasonsZh } from "@/lib/i18n/reasons-zh";
import { latinLeftIn } from "../helpers/latin";

const root = path.resolve(__dirname, "../..");
const zhWording = auditWording("zh-CN", "Asia/Shanghai");
const enWording = auditWording("en");

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(relative) : /\.tsx?$/.test(entry.name) ? [relative] : [];
  });
}

const COMPARISONS = new Set([ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken]);

/** The string literals under a node, but for the ones compared in a condition: a key chosen by a condition names both branches. */
function literalsUnder(node: ts.Node): string[] {
  const found: string[] = [];
  const visit = (child: ts.Node) => {
    if (ts.isBinaryExpression(child) && COMPARISONS.has(child.operatorToken.kind)) return;
    if (ts.isStringLiteral(child) || ts.isNoSubstitutionTemplateLiteral(child)) found.push(child.text);
    ts.forEachChild(child, visit);
  };
  visit(node);
  return found;
}

const used = { keys: [] as { value: string; where: string }[], notes: [] as { value: string; where: string }[] };
for (const file of sourceFiles("lib")) {
  const text = fs.readFileSync(path.join(root, file), "utf8");
  if (!text.includes("summary")) continue;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const where = (node: ts.Node) => `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const visitSummary = (node: ts.Node) => {
    if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && (node.name.text === "key" || node.name.text === "notes")) {
      const list = node.name.text === "key" ? used.keys : used.notes;
      for (const value of literalsUnder(node.initializer)) list.push({ value, where: where(node) });
    }
    ts.forEachChild(node, visitSummary);
  };
  const visit = (node: ts.Node) => {
    // `summary: {…}` in an audit entry, or a function handing one back (a task transition's).
    if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === "summary") visitSummary(node.initializer);
    if (ts.isFunctionDeclaration(node) && node.type?.getText(source).includes("AuditSummary")) visitSummary(node);
    if (ts.isArrowFunction(node) && ts.isParenthesizedExpression(node.body) && ts.isObjectLiteralExpression(node.body.expression)) {
      const keyed = node.body.expression.properties.some((property) => property.name?.getText(source) === "key");
      if (keyed) visitSummary(node.body);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

/** The {values} a template says, without the {count|one|many} word choices. */
function placeholders(template: string): string[] {
  return [...template.matchAll(/\{(\w+)(?:\|[^}]*)?\}/g)].map((match) => match[1]!).sort();
}

describe("operation-log summaries in both languages", () => {
  it("finds the summaries the server writes", () => {
    // A scan that found nothing would pass everything below.
    expect(used.keys.length).toBeGreaterThan(60);
    expect(used.notes.length).toBeGreaterThan(15);
  });

  it("has every message key and note the server names, in English and Chinese", () => {
    const missing = [
      ...used.keys.filter(({ value }) => !Object.hasOwn(auditSummariesEn.messages, value) || !Object.hasOwn(auditSummariesZh.messages, value)),
      ...used.notes.filter(({ value }) => !Object.hasOwn(auditSummariesEn.notes, value) || !Object.hasOwn(auditSummariesZh.notes, value)),
    ];
    expect(missing).toEqual([]);
  });

  it("says the same values in both languages", () => {
    for (const part of ["messages", "notes"] as const) {
      const en = auditSummariesEn[part] as Record<string, string>;
      const zh = auditSummariesZh[part] as Record<string, string>;
      expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
      for (const key of Object.keys(en)) expect([part, key, placeholders(zh[key]!)]).toEqual([part, key, [...new Set(placeholders(en[key]!))]]);
    }
    const termsEn = auditSummariesEn.terms as Record<string, Record<string, string>>;
    const termsZh = auditSummariesZh.terms as Record<string, Record<string, string>>;
    for (const name of Object.keys(termsEn)) expect([name, Object.keys(termsZh[name]!).sort()]).toEqual([name, Object.keys(termsEn[name]!).sort()]);
  });

  it("leaves no Latin in the Chinese words but the technical names", () => {
    const words = [
      ...Object.values(auditSummariesZh.messages),
      ...Object.values(auditSummariesZh.notes),
      ...Object.values(auditSummariesZh.terms).flatMap((list) => Object.values(list)),
    ];
    expect(words.filter((word) => latinLeftIn(word) !== "")).toEqual([]);
  });
});

describe("describeAuditSummary", () => {
  const cancel: AuditSummary = { key: "task.cancel", params: { name: "双十一", sent: 12_000, notSent: 1, released: 1 } };

  it("groups numbers the reader's way and picks the English word for one or many", () => {
    expect(englishAuditSummary(cancel)).toBe('Cancelled task "双十一": 12,000 sent, 1 not sent, 1 quota given back');
    expect(describeAuditSummary(cancel, zhWording)).toBe("取消任务“双十一”：已发送 12,000 封，未发送 1 封，退回配额 1");
    expect(englishAuditSummary({ key: "pool.clear", params: { name: "VIP", count: 1 } })).toBe('Cleared pool "VIP": 1 address removed');
    expect(englishAuditSummary({ key: "pool.clear", params: { name: "VIP", count: 2 } })).toBe('Cleared pool "VIP": 2 addresses removed');
  });

  it("says values with a list of terms in their words, unlimited for none, and the notes in brackets", () => {
    const department: AuditSummary = { key: "department.update", params: { name: "市场部", oldName: "Marketing", quota: null, oldQuota: 5000 }, notes: ["renamed", "quotaChanged", false] };
    expect(englishAuditSummary(department)).toBe('Updated department "市场部" (was "Marketing"; quota 5,000 → unlimited)');
    expect(describeAuditSummary(department, zhWording)).toBe("修改部门“市场部”（原名“Marketing”；配额 5,000 → 不限）");
    const checked: AuditSummary = { key: "domain.check", params: { domain: "mail.example.cn", passed: ["spf", "dkim"], failed: ["return_path"] }, notes: ["checksPassed", "checksFailed"] };
    expect(describeAuditSummary(checked, zhWording)).toBe("检查 mail.example.cn（通过：SPF、DKIM；未通过：退信地址）");
    expect(describeAuditSummary({ key: "user.create", params: { role: "manager", email: "li@example.cn" } }, zhWording)).toBe("新建经理 li@example.cn");
  });

  it("says a time in the reader's zone and a failed import's reason from the refusal catalogue", () => {
    const created: AuditSummary = { key: "task.create", params: { name: "周报", recipients: 3, pools: 1, at: "2026-12-05T10:30:00.000Z" }, notes: ["fromPools", "scheduledAt"] };
    expect(describeAuditSummary(created, zhWording)).toBe("新建任务“周报”，约 3 个收件人（1 个地址池；定时于 2026-12-05 18:30:00）");
    expect(englishAuditSummary(created)).toBe('Created task "周报" for about 3 recipients (1 pool; at 2026-12-05T10:30:00.000Z)');
    const failed: AuditSummary = { key: "pool.importFailed", params: { file: "名单.csv", problem: "importUnexpectedError" } };
    expect(describeAuditSummary(failed, zhWording)).toBe(`导入“名单.csv”失败：${reasonsZh.messages.importUnexpectedError}`);
  });

  it("shows the stored English of a row written before summaries were keys, and of a key it does not know", () => {
    expect(describeStoredSummary({ summary: "Signed in", summaryKey: null, summaryParams: null }, zhWording)).toBe("Signed in");
    expect(describeStoredSummary({ summary: "From a newer server", summaryKey: "newer.thing", summaryParams: { values: {} } }, zhWording)).toBe("From a newer server");
    expect(describeStoredSummary({ summary: "x", summaryKey: "auth.signIn", summaryParams: { values: {}, notes: ["nonsense"] } }, zhWording)).toBe("登录");
  });

  it("never reads a value as a template: a name with braces stays as typed", () => {
    expect(describeAuditSummary({ key: "pool.create", params: { name: "{name} {count|a|b}" } }, enWording)).toBe('Created pool "{name} {count|a|b}"');
  });
});
