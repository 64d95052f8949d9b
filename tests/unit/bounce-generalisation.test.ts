import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { BounceCategory } from "@/db/schema";
import { analyzeMessage, classifyDiagnostic } from "@/lib/feedback/bounce";
import { CATEGORIES, evaluate, fit, formatEvaluation, readCorpus, type Evaluation } from "@/lib/feedback/bounce/evaluate";
import { findWording } from "@/lib/feedback/bounce/vocabulary";

const FIXTURES = path.resolve(__dirname, "../../../shared/fixtures/bounces");
const fixturesMissing = !fs.existsSync(path.join(FIXTURES, "labels.csv"));
const underCi = process.env.CI === "true";
if (fixturesMissing && !underCi) {
  console.warn(`\n!!! Bounce corpus not found at ${FIXTURES}: the cross-validation test is SKIPPED. Put shared/ beside the project to run it.\n`);
}

describe.skipIf(fixturesMissing && !underCi)("leave-one-MTA-family-out cross-validation on the labelled corpus", () => {
  it("reaches 95% overall and 93% in every category on families it was not built from, 96% on the full corpus", async () => {
    if (fixturesMissing) throw new Error(`CI=true but the labelled bounce corpus is missing: expected ${FIXTURES}/labels.csv (shared/ beside the project)`);
    const rows = readCorpus(FIXTURES);
    expect(rows.length).toBe(400);
    const result: Evaluation = await evaluate(rows);
    console.log(`\n${formatEvaluation(result)}\n`);
    expect(Object.keys(result.perFamily).length).toBeGreaterThan(50);
    expect(result.overall.share).toBeGreaterThanOrEqual(0.95);
    for (const category of CATEGORIES) expect({ category, share: result.perCategory[category].share }).toEqual({ category, share: expect.toSatisfy((share: number) => share >= 0.93) });
    expect(result.fullCorpus.overall.share).toBeGreaterThanOrEqual(0.96);
    expect(result.misses.filter(({ got }) => got === null)).toEqual([]);
  }, 120_000);

  it("fits nothing from the training families, and says so", () => {
    const rows = readCorpus(FIXTURES);
    expect(fit(rows).fitted).toBe(false);
    expect(fit([]).fitted).toBe(false);
  });
});

/**
 * Reply texts written for these tests from the providers' published error pages and Sisimai's reason and
 * remote-host modules (not from shared/fixtures): the kinds of reply the old vocabulary got wrong.
 */
const REPLIES: [text: string, category: BounceCategory][] = [
  // host or domain unknown
  ["Host or domain name not found. Name service error for name=mail.example-gone.test type=MX: Host not found", "user_unknown"],
  ["550 5.1.2 <ann@example-gone.test>: Recipient address rejected: domain does not exist", "user_unknown"],
  ["550 5.1.2 The domain example-gone.test does not exist", "user_unknown"],
  ["554 5.1.10 <bo@nullmx.test>: Domain nullmx.test does not accept mail (nullMX)", "user_unknown"],
  ["The domain nullmx.test doesn't receive email according to the administrator: returned Null MX", "user_unknown"],
  ["550 Unrouteable address", "user_unknown"],
  ["553 5.1.2 Host unknown (Name server: example-gone.test: host not found)", "user_unknown"],
  ["No MX found for domain example-gone.test", "user_unknown"],
  // a DNS hiccup is not a dead domain
  ["Host or domain name not found. Name service error for name=example.test type=MX: Host not found, try again", "other"],
  ["451 4.4.0 DNS temporary failure", "other"],
  // reverse DNS / PTR
  ["550-5.7.25 [192.0.2.9] The IP address sending this message does not have a PTR record setup, or the corresponding forward DNS entry does not point to the sending IP.", "rejected"],
  ["450 4.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.9]", "rejected"],
  ["550 5.7.1 Client host rejected: cannot find your hostname, [192.0.2.9]", "rejected"],
  ["554 5.7.1 Reverse DNS lookup for host 192.0.2.9 failed permanently", "rejected"],
  ["550 5.7.1 We do not accept mail from hosts with dynamic IP or generic DNS PTR-records", "rejected"],
  // blocks that do not say "blocked"
  ["550 5.7.1 Unfortunately, messages from [192.0.2.9] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).", "rejected"],
  ["554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using zen.spamhaus.org", "rejected"],
  ["421 4.7.0 [TSS04] Messages from 192.0.2.9 temporarily deferred due to unexpected volume or user complaints", "rejected"],
  ["553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.9, because the ip is in Spamhaus's list", "rejected"],
  ["550 5.7.1 Our system has detected that this message is likely unsolicited mail", "rejected"],
  ["550 5.7.606 Access denied, banned sending IP [192.0.2.9]", "rejected"],
  ["554 5.7.1 Listed in RBL, see http://rbl.example.test", "rejected"],
  ["550 5.7.26 This message does not pass authentication checks (SPF and DKIM both do not pass)", "rejected"],
  ["550 5.7.1 Our system has detected an unusual rate of unsolicited mail originating from your IP address (reputation)", "rejected"],
  // Chinese providers (Tencent QQ, NetEase 163/126)
  ["550 Mail content denied. http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000726", "rejected"],
  ["554 DT:SPM 163 mx14,QMCowEAJ9r5 http://mail.163.com/help/help_spam_16.htm?ip=192.0.2.9", "rejected"],
  ["550 MI:SPB 126 mx5 http://mail.163.com/help/help_spam_16.htm?ip=192.0.2.9", "rejected"],
  ["550 User not found: wang.fang@163.test", "user_unknown"],
  ["550 Mailbox not found. http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000728", "user_unknown"],
  ["550 The recipient's mailbox is full, please try later", "mailbox_full"],
  ["550 Ip frequency limited. http://service.mail.qq.com/cgi-bin/help?subtype=1&&no=1000722", "other"],
  // system trouble that mentions the mailbox or the disk but is not a full mailbox
  ["451 4.3.0 Temporary system error", "other"],
  ["452 4.3.1 Insufficient system storage", "other"],
  ["451 4.3.0 Mailbox temporarily unavailable: local error in processing", "other"],
  ["451 Requested action aborted: local error in processing", "other"],
  ["452 4.3.1 Mail system full", "other"],
  ["550 5.3.5 System config error", "other"],
  ["421 4.3.2 Service not available, closing transmission channel: too many concurrent SMTP connections", "other"],
  // words of two reasons in one reply: the cause named outright wins
  ["550 5.7.1 <ann@example.test>: Recipient address rejected: Access denied. Sending IP listed on zen.spamhaus.org", "rejected"],
  ["554 5.7.1 Connection refused. Your IP 192.0.2.9 is listed in an RBL", "rejected"],
  ["550 5.7.1 Connection refused - <192.0.2.9> - Too many spams from your IP", "rejected"],
  ["421 4.7.0 Connection dropped: we do not accept mail from dynamic IPs", "rejected"],
  ["421 Cannot find your hostname, [192.0.2.9]", "rejected"],
  ["550 MI:SPB 163 smtp9", "rejected"],
  ["553 5.7.2 [TSS09] All messages from 192.0.2.9 will be permanently deferred; Retrying will NOT succeed", "rejected"],
  ["451 4.7.650 The mail server [192.0.2.9] has been temporarily rate limited due to IP reputation (S3113)", "rejected"],
  ["451 4.7.1 <mx.example.test[192.0.2.9]>: Client host rejected: Please try again slower", "other"],
  ["450 4.2.0 <ann@example.test>: Recipient address rejected: Mailbox temporarily unavailable", "other"],
  ["550 5.4.310 DNS domain example-gone.test does not exist", "user_unknown"],
  ["500 Line too long", "rejected"],
  ["550 5.7.1 Your HELO hostname is not valid", "rejected"],
  // the plain cases stay plain
  ["550 5.1.1 <ann@example.test>: Recipient address rejected: User unknown in virtual mailbox table", "user_unknown"],
  ["550 5.2.1 The email account that you tried to reach is disabled.", "user_unknown"],
  ["552 5.2.2 The email account that you tried to reach is over quota.", "mailbox_full"],
  ["552 5.3.4 Message size exceeds fixed limit", "rejected"],
  ["550 5.7.1 Relaying denied", "rejected"],
  ["421 4.4.2 Connection timed out", "other"],
];

describe("replies of the kinds the old vocabulary got wrong (written from provider and Sisimai documentation)", () => {
  it.each(REPLIES)("%s → %s", (text, category) => {
    expect(classifyDiagnostic({ text }).category).toBe(category);
  });

  it("names a finer reason for the reply", () => {
    expect(findWording("550 5.7.25 The IP address sending this message does not have a PTR record setup")?.reason).toBe("requireptr");
    expect(findWording("Host or domain name not found. Name service error for name=x.test type=MX: Host not found")?.reason).toBe("hostunknown");
    expect(findWording("452 4.3.1 Insufficient system storage")?.reason).toBe("systemfull");
  });
});

describe("every reply and every bounce gets a category", () => {
  const garbage = [
    "",
    " ",
    "\u0000\u0001\u0002",
    "5",
    "550",
    "4.2.2",
    "lorem ipsum dolor sit amet",
    "\u00ff".repeat(5_000),
    "550 ".repeat(100_000),
    "user ".repeat(200_000),
    "a".repeat(2_000_000),
  ];
  it.each(garbage.map((text) => [text.slice(0, 20), text]))("classifyDiagnostic(%j…) is one of the four", (_, text) => {
    const { category } = classifyDiagnostic({ text });
    expect(CATEGORIES).toContain(category);
  });

  it("with no input at all", () => {
    expect(classifyDiagnostic({}).category).toBe("other");
    expect(classifyDiagnostic({ text: null, status: null, code: null }).category).toBe("other");
  });

  it("a failure notice with nothing to read is a bounce of category other, never null", async () => {
    const analysis = await analyzeMessage(
      "From: MAILER-DAEMON@mx.example.test\nTo: news@fanout.test\nSubject: Undelivered Mail Returned to Sender\n\nSomething went wrong.\n",
    );
    expect(analysis).toMatchObject({ kind: "bounce", category: "other" });
  });

  it("a huge failure notice is read in bounded time and still gets a category", async () => {
    const raw = `From: MAILER-DAEMON@mx.example.test\nTo: news@fanout.test\nSubject: Delivery failure\n\n${"user unknown does not ".repeat(200_000)}\n`;
    const started = performance.now();
    const analysis = await analyzeMessage(raw);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(analysis.category).not.toBeNull();
  });
});
