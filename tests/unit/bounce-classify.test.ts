import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { classifyBounceFiles } from "@/cli/bounce-classify";
import type { BounceCategory } from "@/db/schema";
import { analyzeMessage, classifyDiagnostic, type BounceAnalysis } from "@/lib/feedback/bounce";

const FIXTURES = path.resolve(__dirname, "../../../shared/fixtures/bounces");
const fixturesMissing = !fs.existsSync(path.join(FIXTURES, "labels.csv"));
const underCi = process.env.CI === "true";
if (fixturesMissing && !underCi) {
  console.warn(`\n!!! Bounce corpus not found at ${FIXTURES}: the classifier agreement tests are SKIPPED. Put shared/ beside the project to run them.\n`);
}

type Label = { file: string; status: string; expected: BounceCategory; alternatives: Set<string> };

function readLabels(): Label[] {
  const rows = (name: string) => fs.readFileSync(path.join(FIXTURES, name), "utf8").trim().split(/\r?\n/).slice(1).map((line) => line.split(","));
  const alternatives = new Map<string, Set<string>>();
  for (const [file, , , , alt] of rows("ambiguous.csv")) {
    if (file && alt) alternatives.set(file, (alternatives.get(file) ?? new Set()).add(alt));
  }
  return rows("labels.csv").map(([file, , status, expected]) => ({
    file: file!,
    status: status!,
    expected: expected as BounceCategory,
    alternatives: alternatives.get(file!) ?? new Set(),
  }));
}

const agrees = (label: Label, analysis: BounceAnalysis) => analysis.category === label.expected || label.alternatives.has(analysis.category ?? "");
const share = (hits: number, total: number) => (total === 0 ? 1 : hits / total);

describe.skipIf(fixturesMissing && !underCi)("bounce classification against the labelled corpus (shared/fixtures/bounces)", () => {
  let results: { label: Label; analysis: BounceAnalysis }[] = [];

  beforeAll(async () => {
    if (fixturesMissing) return;
    results = await Promise.all(
      readLabels().map(async (label) => ({ label, analysis: await analyzeMessage(fs.readFileSync(path.join(FIXTURES, "eml", label.file))) })),
    );
  });

  it("finds the corpus", () => {
    if (fixturesMissing) throw new Error(`CI=true but the labelled bounce corpus is missing: expected ${FIXTURES}/labels.csv (shared/ beside the project)`);
    expect(results.length).toBe(400);
  });

  it("agrees with the labels overall and per category", () => {
    const overall = share(results.filter(({ label, analysis }) => agrees(label, analysis)).length, results.length);
    expect(overall).toBeGreaterThanOrEqual(0.96);
    // Floors a little below what the classifier reaches today (decision 0069: 96.9 / 100 / 95.0 / 98.7%), so a slip shows.
    const floors: Record<BounceCategory, number> = { user_unknown: 0.96, mailbox_full: 0.97, rejected: 0.94, other: 0.97 };
    for (const [category, floor] of Object.entries(floors)) {
      const ofCategory = results.filter(({ label }) => label.expected === category);
      expect({ category, agreement: share(ofCategory.filter(({ label, analysis }) => agrees(label, analysis)).length, ofCategory.length) }).toEqual({
        category,
        agreement: expect.toSatisfy((value: number) => value >= floor),
      });
    }
  });

  it("finds the expected enhanced status code wherever the message carries one", () => {
    const withCode = results.filter(({ label }) => !/^\d\.0\.9\d\d$/.test(label.status));
    const matching = withCode.filter(({ label, analysis }) => label.status.split("|").includes(analysis.status ?? ""));
    expect(share(matching.length, withCode.length)).toBeGreaterThanOrEqual(0.97);
  });

  it("finds the failed recipient", () => {
    expect(share(results.filter(({ analysis }) => analysis.recipient?.includes("@")).length, results.length)).toBeGreaterThanOrEqual(0.98);
  });

  it("classifies files from the command line: a JSON line per readable file, the unreadable one named, exit 1", async () => {
    const files = [path.join(FIXTURES, "eml", "lhost-qmail-02.eml"), path.join(FIXTURES, "eml", "rhost-tencent-03.eml"), "/nonexistent/bounce.eml"];
    const outcome = await classifyBounceFiles(files);
    expect(outcome.code).toBe(1);
    expect(outcome.err).toBe("cannot read /nonexistent/bounce.eml");
    const lines = outcome.out.split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => Object.keys(line))).toEqual([
      ["file", "category", "hard", "status", "recipient", "reason"],
      ["file", "category", "hard", "status", "recipient", "reason"],
    ]);
    expect(lines[1]).toEqual({ file: files[1], category: "rejected", hard: true, status: "5.0.0", recipient: "neko@qq.example.cn", reason: "authfailure" });
  });
});

describe("bounce classify command", () => {
  it("refuses to run without files", async () => {
    expect(await classifyBounceFiles([])).toEqual({ code: 2, out: "", err: "give at least one FILE to classify" });
  });
});

const dsn = (action: string, status: string, diagnostic: string) => `Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.fanout.test>
To: news@fanout.test
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.fanout.test.

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.fanout.test

Final-Recipient: rfc822; Ann.Lee@Example.COM
Original-Recipient: rfc822; ann.lee@example.com
Action: ${action}
Status: ${status}
Diagnostic-Code: smtp; ${diagnostic}
 (in reply to RCPT TO command)

--B1
Content-Type: text/rfc822-headers

From: news@fanout.test
To: ann.lee@example.com
Message-ID: <task-7.delivery-42@fanout.test>
Subject: Newsletter

--B1--
`;

describe("hand-written messages", () => {
  it("reads an RFC 3464 report of a mailbox that does not exist", async () => {
    const analysis = await analyzeMessage(dsn("failed", "5.1.1", "550 5.1.1 <ann.lee@example.com>: Recipient address rejected:\n User unknown in virtual mailbox table"));
    expect(analysis).toEqual({
      kind: "bounce",
      category: "user_unknown",
      hard: true,
      status: "5.1.1",
      recipient: "ann.lee@example.com",
      diagnostic: "550 5.1.1 <ann.lee@example.com>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)",
      originalMessageId: "<task-7.delivery-42@fanout.test>",
      reason: "userunknown",
    });
  });

  it("tells a delay from a bounce", async () => {
    const analysis = await analyzeMessage(Buffer.from(dsn("delayed", "4.4.1", "421 4.4.1 Connection timed out")));
    expect(analysis).toMatchObject({ kind: "delay", category: "other", hard: false, status: "4.4.1", recipient: "ann.lee@example.com" });
  });

  it("reads an ARF complaint", async () => {
    const analysis = await analyzeMessage(`From: staff@feedback.mailbox.test
To: fbl@fanout.test
Subject: Complaint
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an email abuse report.

--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Rcpt-To: <Bob@Mailbox.test>

--F
Content-Type: message/rfc822

From: news@fanout.test
To: bob@mailbox.test
Message-ID: <task-9.delivery-3@fanout.test>
Subject: Offers

Hello
--F--
`);
    expect(analysis).toMatchObject({ kind: "complaint", category: null, feedbackType: "abuse", recipient: "bob@mailbox.test", originalMessageId: "<task-9.delivery-3@fanout.test>" });
  });

  it("recognises a vacation reply", async () => {
    const analysis = await analyzeMessage(`From: Carol <carol@example.org>
To: news@fanout.test
Subject: Out of Office: Newsletter
Auto-Submitted: auto-replied
Content-Type: text/plain; charset=utf-8

I am away until Monday and will read your mail when I am back.
`);
    expect(analysis).toMatchObject({ kind: "auto_reply", category: null });
  });

  it("calls an ordinary reply not a bounce", async () => {
    const analysis = await analyzeMessage("From: dan@example.org\nTo: news@fanout.test\nSubject: Re: Newsletter\n\nThanks, see you there.\n");
    expect(analysis).toMatchObject({ kind: "not_a_bounce", category: null, recipient: null });
  });

  it("reads a Chinese bounce in GB2312, base64-encoded", async () => {
    const gb = (text: string) => Buffer.from(new Uint8Array([...text].flatMap((char) => [...GB2312[char]!])));
    const GB2312: Record<string, number[]> = { 收: [0xca, 0xd5], 件: [0xbc, 0xfe], 人: [0xc8, 0xcb], 不: [0xb2, 0xbb], 存: [0xb4, 0xe6], 在: [0xd4, 0xda] };
    const body = Buffer.concat([Buffer.from("wang.fang@qq.example.cn: 550 "), gb("收件人不存在"), Buffer.from("\r\n")]).toString("base64");
    const analysis = await analyzeMessage(`From: "QQ Mail" <MAILER-DAEMON@qq.example.cn>
To: news@fanout.test
Subject: =?gb2312?B?zcvQxQ==?=
Content-Type: text/plain; charset=gb2312
Content-Transfer-Encoding: base64

${body}
`);
    expect(analysis).toMatchObject({ kind: "bounce", category: "user_unknown", hard: true, recipient: "wang.fang@qq.example.cn", diagnostic: "550 收件人不存在" });
  });
});

describe("classifyDiagnostic", () => {
  it.each([
    [{ code: 550, status: "5.1.1", text: "550 5.1.1 The email account that you tried to reach does not exist." }, "user_unknown", true],
    [{ code: 552, text: "552 5.2.2 <eve@example.com>: mailbox is full" }, "mailbox_full", true],
    [{ code: 554, text: "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org" }, "rejected", true],
    [{ code: 550, text: "550 5.7.26 Unauthenticated email is not accepted due to domain's DMARC policy" }, "rejected", true],
    [{ code: 552, text: "552 5.3.4 Message size exceeds fixed limit" }, "rejected", true],
    [{ code: 451, text: "451 4.7.1 Greylisting in action, please come back later" }, "other", false],
    [{ code: 421, text: "421 4.4.2 Connection timed out" }, "other", false],
    [{ text: "Storage quota exceeded" }, "mailbox_full", true],
    [{ status: "5.7.1", text: "User account disabled" }, "user_unknown", true],
    [{ code: 550, text: "550 用户不存在" }, "user_unknown", true],
    [{ status: "5.0.912", text: null }, "other", true],
    [{ code: 550, text: "550 5.7.1 Connection refused - <192.0.2.1> - Too many spams from your IP" }, "rejected", true],
    [{ code: 452, text: "452 4.3.1 Insufficient system storage" }, "other", false],
    [{ text: "Host or domain name not found. Name service error for name=example.test type=MX: Host not found" }, "user_unknown", true],
    [{}, "other", false],
  ] as const)("%j → %s", (input, category, hard) => {
    expect(classifyDiagnostic(input)).toEqual({ category, hard });
  });
});
