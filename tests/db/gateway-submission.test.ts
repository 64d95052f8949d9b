import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { dkimVerify } from "mailauth/lib/dkim/verify";
import nodemailer from "nodemailer";
import type Mail from "nodemailer/lib/mailer";
import type { SMTPServer } from "smtp-server";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { auditLog, deliveries, departments, senderDomains, senders, smtpSubmissions, suppressions, tasks } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import { readEnv } from "@/lib/config/env";
import { createEntrance, listen, type EntranceOptions } from "@/lib/gateway/entrance";
import { createSmtpAccount, setSmtpAccountDisabled, type SmtpAccountLimits } from "@/lib/gateway/smtp-accounts";
import { resolvePeriod } from "@/lib/reports/periods";
import { sendReport } from "@/lib/reports/queries";
import { LocalRunner } from "@/lib/sending/runner";
import { createSmtpTransport, type Transport } from "@/lib/transports";
import { describeOnDatabases } from "../helpers/db";
import { unique } from "../helpers/factories";
import { makeSendingSetup, testSendingConfig, type SendingSetup } from "../helpers/sending";
import { snapshotState } from "../helpers/snapshot";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

/**
 * Issue 12, the submission half of the SMTP entrance, end to end: a real nodemailer client
 * authenticates to the real entrance (lib/gateway/entrance.ts on loopback), the send engine sends
 * what was accepted through the SMTP transport to a real smtp-server sink, and every refusal is
 * checked for its reply and for leaving nothing behind.
 */

const PASSWORD = "client-password-123";

type Account = { id: string; username: string; password: string };
type Department = SendingSetup & { sender: string; domain: string; account: Account };

/** A refused sendMail's error as nodemailer reports it. */
type SmtpFailure = { responseCode?: number; response?: string; command?: string };

describeOnDatabases("SMTP entrance: submissions", (db) => {
  let sink: SmtpSink;
  let transport: Transport;
  let entrance: SMTPServer;
  let port: number;
  const logged: string[] = [];
  const clients: Mail[] = [];
  const servers: SMTPServer[] = [];

  const entranceOptions: EntranceOptions = {
    closeTimeoutMs: 200,
    logError: (message, error) => logged.push(`${message}: ${error instanceof Error ? error.message : String(error)}`),
    logInfo: (message) => logged.push(message),
  };

  beforeAll(async () => {
    sink = await startSmtpSink();
    transport = createSmtpTransport({ url: sink.url, maxConnections: 4 });
    entrance = createEntrance(db(), entranceOptions);
    port = await listen(entrance, 0, "127.0.0.1");
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  afterAll(async () => {
    await Promise.all([entrance, ...servers].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    await transport?.close();
    await sink?.close();
  });

  /** A department with a verified sender domain, a sender on it and an SMTP account (made as the account pages make one). */
  async function department(options: { quota?: number | null; account?: Partial<SmtpAccountLimits> } = {}): Promise<Department> {
    const setup = await makeSendingSetup(db(), { count: 0, quota: options.quota ?? 10_000 });
    const [sender] = await queryRows<{ address: string; domain: string }>(db(), sql`select s.address, sd.domain from senders s join sender_domains sd on sd.id = s.domain_id where s.id = ${setup.senderId}`);
    const username = unique("client").toLowerCase();
    const created = await createSmtpAccount({ db: db(), actor: systemActor("test") }, { departmentId: setup.departmentId, username, password: PASSWORD, ...options.account });
    return { ...setup, sender: sender!.address, domain: sender!.domain, account: { id: created.id, username, password: PASSWORD } };
  }

  function client(account: { username: string; password: string }, options: { pool?: boolean; port?: number } = {}) {
    const made = nodemailer.createTransport({
      host: "127.0.0.1",
      port: options.port ?? port,
      secure: false,
      ignoreTLS: true,
      auth: { user: account.username, pass: account.password },
      ...(options.pool ? { pool: true, maxConnections: 4, maxMessages: Infinity } : {}),
    });
    clients.push(made);
    return made;
  }

  function message(from: string, to: string[], extra: Partial<Mail.Options> = {}): Mail.Options {
    return { from: { name: "市场部 张三", address: from }, to, subject: "春季新品发布会", text: "您好，\n详情见 https://example.com/offer\n", html: '<p>您好，<a href="https://example.com/offer">详情</a></p>', ...extra };
  }

  async function refusal(run: Promise<unknown>): Promise<SmtpFailure> {
    return run.then(
      () => {
        throw new Error("the entrance accepted what it should have refused");
      },
      (error: SmtpFailure) => error,
    );
  }

  async function drain() {
    const engine = new LocalRunner(db(), { transport, config: testSendingConfig({ batchSize: 25 }), log: () => undefined });
    try {
      await engine.drain();
    } finally {
      await engine.stop();
    }
  }

  const submissionCount = async () => Number((await queryRows<{ n: number }>(db(), sql`select count(*)::int as n from smtp_submissions`))[0]!.n);

  /** Every table a refused submission could touch; a login's stamp of the account's last use is bookkeeping, not a change it made. */
  const state = async () => (await snapshotState(db())).replace(/"last_used_at":("[^"]*"|null),"last_ip":("[^"]*"|null)/g, "");

  /** Asserts that `refused` changed nothing a send could come from, and that the engine then sends nothing. */
  async function expectNothingKept(refused: () => Promise<void>) {
    await drain();
    const before = await state();
    const submissions = await submissionCount();
    const received = sink.messages.length;
    await refused();
    expect(await state()).toBe(before);
    expect(await submissionCount()).toBe(submissions);
    await drain();
    expect(sink.messages.length).toBe(received);
  }

  it("takes one message to 50 recipients and 50 single ones from a pooled client; the sink gets each recipient once, DKIM-signed, and the counters, quota and 群发统计 agree", { timeout: 120_000 }, async () => {
    const dept = await department({ quota: 1000 });
    const tag = unique("r");
    const many = Array.from({ length: 50 }, (_, i) => `many-${i}.${tag}@example.net`);
    const singles = Array.from({ length: 50 }, (_, i) => `single-${i}.${tag}@example.com`);
    const pooled = client(dept.account, { pool: true });
    const answers = await Promise.all([
      pooled.sendMail(message(dept.sender, many, { subject: "To fifty" })),
      ...singles.map((to, i) => pooled.sendMail(message(dept.sender, [to], { subject: `Single ${i}` }))),
    ]);
    const taskIds = answers.map((info) => /^250 2\.0\.0 Accepted as task ([0-9a-f-]{36})$/.exec(info.response)?.[1]);
    expect(taskIds.every(Boolean)).toBe(true);
    expect(new Set(taskIds).size).toBe(51);

    // Everything is recorded before the 250: the tasks, their deliveries, the quota held, the message as received.
    const rows = await db().select().from(tasks).where(eq(tasks.departmentId, dept.departmentId));
    expect(rows).toHaveLength(51);
    for (const task of rows) {
      expect(task).toMatchObject({ kind: "smtp", smtpAccountId: dept.account.id, templateId: null, senderId: dept.senderId, fromName: "市场部 张三", clientIp: "127.0.0.1", createdBy: `smtp:${dept.account.username}`, materializeCursor: null });
    }
    const fifty = rows.find((task) => task.name === "To fifty")!;
    expect(fifty).toMatchObject({ total: 50, suppressed: 0 });
    const [held] = await db().select().from(departments).where(eq(departments.id, dept.departmentId));
    expect(held!.quotaReserved + held!.quotaUsed).toBe(100);
    const submissions = await db().select().from(smtpSubmissions).where(eq(smtpSubmissions.departmentId, dept.departmentId));
    expect(submissions).toHaveLength(51);
    expect(submissions.every((row) => row.clientIp === "127.0.0.1" && row.envelopeFrom === dept.sender && row.size === row.raw.length)).toBe(true);
    const audits = await db().select().from(auditLog).where(and(eq(auditLog.action, "smtp.submit"), eq(auditLog.departmentId, dept.departmentId)));
    expect(audits).toHaveLength(51);
    expect(audits.every((row) => row.operatorId === `smtp:${dept.account.id}` && row.ip === "127.0.0.1")).toBe(true);

    sink.reset();
    await drain();

    const expected = [...many, ...singles];
    const received = sink.messages.filter((mail) => mail.envelope.rcptTo[0]!.includes(tag));
    expect(received).toHaveLength(100);
    expect(received.every((mail) => mail.envelope.rcptTo.length === 1)).toBe(true);
    expect(received.map((mail) => mail.envelope.rcptTo[0]).sort()).toEqual(expected.sort());

    const [domain] = await db().select().from(senderDomains).where(eq(senderDomains.domain, dept.domain));
    const resolver = async (name: string, type: string) => {
      if (type === "TXT" && name === `${domain!.dkimSelector}._domainkey.${dept.domain}`) return [[`v=DKIM1; k=rsa; p=${domain!.dkimPublicKey}`]];
      throw Object.assign(new Error(`no ${type} record for ${name}`), { code: "ENOTFOUND" });
    };
    for (const mail of received) {
      const verified = await dkimVerify(mail.raw, { resolver });
      expect(verified.results.map((result) => [result.signingDomain, result.status.result])).toEqual([[dept.domain, "pass"]]);
      const parsed = await mail.parse();
      expect(mail.raw.toString("latin1")).toMatch(/^List-Unsubscribe:\s*<https?:\/\/[^>\s]+\/one-click>,\s*<mailto:unsubscribe\+[^>\s]+>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n/m);
      expect(parsed.from?.value[0]?.address).toBe(dept.sender);
    }

    const done = await db().select().from(tasks).where(eq(tasks.departmentId, dept.departmentId));
    expect(done.every((task) => task.status === "completed" && task.queued === 0 && task.reserved === 0 && task.sent === task.total)).toBe(true);
    expect(done.reduce((sum, task) => sum + task.sent, 0)).toBe(100);
    const [after] = await db().select().from(departments).where(eq(departments.id, dept.departmentId));
    expect(after).toMatchObject({ quotaUsed: 100, quotaReserved: 0 });
    const sent = await db().select({ status: deliveries.status }).from(deliveries).where(eq(deliveries.departmentId, dept.departmentId));
    expect(sent.filter((row) => row.status === "sent")).toHaveLength(100);

    const report = await sendReport({ db: db(), actor: systemActor("test") }, resolvePeriod({ period: "today" }, new Date(), readEnv().timeZone));
    const ours = report.rows.filter((row) => row.departmentId === dept.departmentId);
    expect(ours).toEqual([expect.objectContaining({ ip: "127.0.0.1", domain: dept.domain, sent: 100 })]);
  });

  it("records suppressed recipients as such and counts them, makes the sender of a new address on an allowed domain, and keeps the message as received", async () => {
    const dept = await department();
    const tag = unique("s");
    const kept = `kept.${tag}@example.net`;
    const blocked = `blocked.${tag}@example.net`;
    await db().insert(suppressions).values({ departmentId: dept.departmentId, email: blocked, reason: "unsubscribed" });
    const newcomer = `sales@${dept.domain}`;
    const info = await client(dept.account).sendMail({ envelope: { from: dept.sender, to: [kept, blocked.toUpperCase(), kept] }, raw: rawMessage(`From: Sales <${newcomer}>`, "Subject: Mixed", "", "Hello") });
    const taskId = /task ([0-9a-f-]{36})$/.exec(info.response)![1]!;

    const [task] = await db().select().from(tasks).where(eq(tasks.id, taskId));
    expect(task).toMatchObject({ name: "Mixed", total: 2, queued: 1, suppressed: 1, reserved: 1, fromName: "Sales", status: "scheduled" });
    const rows = await db().select().from(deliveries).where(eq(deliveries.taskId, taskId));
    expect(rows.map((row) => [row.email, row.status, row.batchNo, row.contactId]).sort()).toEqual([
      [blocked, "suppressed", -1, null],
      [kept, "queued", 0, null],
    ]);
    expect(rows.find((row) => row.status === "suppressed")!.error).toMatch(/unsubscribed/);
    const [created] = await db().select().from(senders).where(and(eq(senders.departmentId, dept.departmentId), eq(senders.address, newcomer)));
    expect(task!.senderId).toBe(created!.id);
    const [audit] = await db().select().from(auditLog).where(and(eq(auditLog.action, "sender.create"), eq(auditLog.objectId, created!.id)));
    expect(audit).toMatchObject({ operatorId: `smtp:${dept.account.id}`, operatorLabel: `smtp:${dept.account.username}`, ip: "127.0.0.1" });
    const [submission] = await db().select().from(smtpSubmissions).where(eq(smtpSubmissions.taskId, taskId));
    expect(submission!.raw.toString()).toBe(`From: Sales <${newcomer}>\r\nSubject: Mixed\r\n\r\nHello\r\n`);
  });

  it("answers a wrong password, an unknown user, a disabled account and a login from outside the account's IP ranges with the same 535, and keeps nothing", async () => {
    const dept = await department();
    const fenced = await department({ account: { allowedIps: ["203.0.113.0/24"] } });
    const disabled = await department();
    await setSmtpAccountDisabled({ db: db(), actor: systemActor("test") }, disabled.account.id, true);
    const attempts = [
      { username: dept.account.username, password: "wrong-password-1" },
      { username: unique("nobody"), password: PASSWORD },
      { username: disabled.account.username, password: PASSWORD },
      { username: fenced.account.username, password: PASSWORD },
    ];
    // Its own limiter, so these four failures do not put 127.0.0.1 in back-off for the other tests.
    const own = createEntrance(db(), { ...entranceOptions, peerLimits: { authFailures: 100 } });
    servers.push(own);
    const ownPort = await listen(own, 0, "127.0.0.1");
    await expectNothingKept(async () => {
      for (const attempt of attempts) {
        const error = await refusal(client(attempt, { port: ownPort }).sendMail(message(dept.sender, ["someone@example.net"])));
        expect(error).toMatchObject({ responseCode: 535, response: "535 5.7.8 Authentication credentials invalid" });
      }
    });
    expect(logged.join("\n")).toContain(`login as "${fenced.account.username}" from 127.0.0.1 refused (ip not allowed)`);
    expect(logged.join("\n")).toContain(`login as "${disabled.account.username}" from 127.0.0.1 refused (disabled)`);
  });

  it("refuses an envelope sender or a From the department may not use with 550 5.7.1 and the reason, and relaying without AUTH", async () => {
    const dept = await department();
    const other = await department();
    const pending = `pending-${unique("d")}.example.org`;
    await db().insert(senderDomains).values({ departmentId: dept.departmentId, domain: pending, dkimSelector: "x", dkimPrivateKey: "x", dkimPublicKey: "x", approval: "pending" });
    await expectNothingKept(async () => {
      const foreign = await refusal(client(dept.account).sendMail({ ...message(other.sender, ["someone@example.net"]), envelope: { from: other.sender, to: ["someone@example.net"] } }));
      expect(foreign).toMatchObject({ responseCode: 550, command: "MAIL FROM" });
      expect(foreign.response).toMatch(/^550 5\.7\.1 <.*> is not allowed as the sender for this account: it is not a sender of this department, and .* is not one of its sender domains$/);

      const waiting = await refusal(client(dept.account).sendMail(message(`news@${pending}`, ["someone@example.net"])));
      expect(waiting.response).toMatch(/^550 5\.7\.1 .*waiting for an administrator's approval/);

      const headerFrom = await refusal(client(dept.account).sendMail({ ...message(other.sender, ["someone@example.net"]), envelope: { from: dept.sender, to: ["someone@example.net"] } }));
      expect(headerFrom).toMatchObject({ responseCode: 550 });
      expect(headerFrom.response).toMatch(/^550 5\.7\.1 The message's From <.*> is not allowed for this account/);

      const relay = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true });
      clients.push(relay);
      const relayed = await refusal(relay.sendMail(message(dept.sender, ["someone@example.net"])));
      expect(relayed).toMatchObject({ responseCode: 550, response: "550 5.7.1 <someone@example.net>: relaying denied; this server only takes mail for Fanout return paths and group addresses" });
    });
  });

  it("refuses what does not fit the quota: 552 when the message alone is larger than the department's quota, 452 when it could fit later", async () => {
    const dept = await department({ quota: 5 });
    const to = (n: number) => Array.from({ length: n }, (_, i) => `q${i}.${unique("q")}@example.net`);
    const first = await client(dept.account).sendMail(message(dept.sender, to(3)));
    expect(first.response).toMatch(/^250 /);
    await expectNothingKept(async () => {
      const later = await refusal(client(dept.account).sendMail(message(dept.sender, to(3))));
      expect(later).toMatchObject({ responseCode: 452 });
      expect(later.response).toMatch(/^452 4\.2\.2 Quota exhausted: .*2 sends left.*needs 3; try again later$/);
      const never = await refusal(client(dept.account).sendMail(message(dept.sender, to(6))));
      expect(never).toMatchObject({ responseCode: 552, response: "552 5.2.2 Quota exceeded: this message has 6 recipient(s), more than the department's whole quota of 5" });
    });
  });

  it("refuses a message over the size limit with 552 5.3.4 and keeps none of it", async () => {
    const dept = await department();
    const small = createEntrance(db(), { ...entranceOptions, maxMessageBytes: 4096 });
    servers.push(small);
    const smallPort = await listen(small, 0, "127.0.0.1");
    await expectNothingKept(async () => {
      // SIZE is declared by nodemailer only when it knows it, so the end of DATA is where this one is refused.
      const error = await refusal(client(dept.account, { port: smallPort }).sendMail(message(dept.sender, ["big@example.net"], { text: "x".repeat(10_000) })));
      expect(error).toMatchObject({ responseCode: 552, response: "552 5.3.4 The message is larger than 4096 bytes" });
    });
  });

  it("answers the recipient over the account's limit with 452 4.5.3 at its RCPT and sends it nothing", async () => {
    const dept = await department({ account: { maxRecipients: 3 } });
    const tag = unique("m");
    const to = Array.from({ length: 4 }, (_, i) => `m${i}.${tag}@example.net`);
    const info = await client(dept.account).sendMail(message(dept.sender, to));
    expect(info.accepted).toEqual(to.slice(0, 3));
    expect(info.rejected).toEqual([to[3]]);
    expect(((info as { rejectedErrors?: SmtpFailure[] }).rejectedErrors)?.[0]).toMatchObject({ command: "RCPT TO", response: "452 4.5.3 Too many recipients: at most 3 per message for this account; send the rest in another message" });
    const taskId = /task ([0-9a-f-]{36})$/.exec(info.response)![1]!;
    const rows = await db().select({ email: deliveries.email }).from(deliveries).where(eq(deliveries.taskId, taskId));
    expect(rows.map((row) => row.email).sort()).toEqual(to.slice(0, 3).sort());
    await drain();
    expect(sink.messages.filter((mail) => mail.envelope.rcptTo[0]!.includes(tag)).map((mail) => mail.envelope.rcptTo[0]).sort()).toEqual(to.slice(0, 3).sort());
  });

  it("refuses an invalid recipient address with 553 5.1.3 and a message past the account's rate with 451 4.7.1", async () => {
    const dept = await department({ account: { messagesPerMinute: 2 } });
    const invalid = await refusal(client(dept.account).sendMail({ ...message(dept.sender, ["a@b"]), envelope: { from: dept.sender, to: ["someone@intranet"] } }));
    expect(invalid).toMatchObject({ responseCode: 553, response: "553 5.1.3 <someone@intranet>: the domain has no dot (expected something like example.com)" });
    for (let i = 0; i < 2; i++) expect((await client(dept.account).sendMail(message(dept.sender, [`rate${i}@example.net`]))).response).toMatch(/^250 /);
    await expectNothingKept(async () => {
      const limited = await refusal(client(dept.account).sendMail(message(dept.sender, ["rate3@example.net"])));
      expect(limited).toMatchObject({ responseCode: 451 });
      expect(limited.response).toMatch(/^451 4\.7\.1 Rate limit: this account may submit 2 message\(s\) a minute; try again in \d+ s$/);
    });
  });

  it("refuses malformed mail with 554 5.6.0 (a header block that is not one, no From, two From addresses) and takes odd but readable mail as received", async () => {
    const dept = await department();
    const send = (raw: string) => client(dept.account).sendMail({ envelope: { from: dept.sender, to: ["reader@example.net"] }, raw });
    await expectNothingKept(async () => {
      const cases: [string, RegExp][] = [
        [rawMessage(`From: <${dept.sender}>`, "Subject: no blank line", "this body line follows the header directly"), /^554 5\.6\.0 Malformed message: line 3 of the header is neither a header field nor its continuation/],
        [rawMessage("Subject: who sent this", "", "body"), /^554 5\.6\.0 Malformed message: it has no From header$/],
        [rawMessage(`From: <${dept.sender}>, <other@example.net>`, "Subject: two", "", "body"), /^554 5\.6\.0 Malformed message: the From header must name exactly one address$/],
        [rawMessage(`From: <${dept.sender}>`, `From: <${dept.sender}>`, "", "body"), /^554 5\.6\.0 Malformed message: it has more than one From header$/],
        [rawMessage(" folded first line", `From: <${dept.sender}>`, "", "body"), /^554 5\.6\.0 Malformed message: line 1 /],
      ];
      for (const [raw, reply] of cases) {
        const error = await refusal(send(raw));
        expect(error).toMatchObject({ responseCode: 554 });
        expect(error.response).toMatch(reply);
      }
    });
    // A message of header only, and one whose MIME body is broken, are sent as they came.
    const headerOnly = rawMessage(`From: <${dept.sender}>`, "Subject: header only");
    const brokenMime = rawMessage(`From: <${dept.sender}>`, "Subject:", "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="never-closed"', "", "--never-closed", "Content-Type: text/plain", "", "unfinished");
    for (const raw of [headerOnly, brokenMime]) {
      const info = await send(raw);
      const taskId = /task ([0-9a-f-]{36})$/.exec(info.response)![1]!;
      const [submission] = await db().select().from(smtpSubmissions).where(eq(smtpSubmissions.taskId, taskId));
      expect(submission!.raw.toString()).toBe(raw.endsWith("\r\n") ? raw : `${raw}\r\n`);
    }
    const names = await db().select({ name: tasks.name }).from(tasks).where(eq(tasks.departmentId, dept.departmentId));
    expect(names.map((row) => row.name).sort()).toEqual(["(no subject)", "header only"]);
  });

  it("offers STARTTLS when given a certificate, and refuses AUTH before it with 530 except from loopback", async () => {
    const dept = await department();
    const { key, cert } = selfSignedCertificate();
    const tls = createEntrance(db(), { ...entranceOptions, tls: { key, cert } });
    servers.push(tls);
    const tlsPort = await listen(tls, 0, "0.0.0.0");
    const outside = nonLoopbackAddress();
    const plain = (host: string) => {
      const made = nodemailer.createTransport({ host, port: tlsPort, secure: false, ignoreTLS: true, auth: { user: dept.account.username, pass: PASSWORD } });
      clients.push(made);
      return made;
    };
    // From loopback, AUTH in clear text is allowed (a client on the same machine).
    expect((await plain("127.0.0.1").sendMail(message(dept.sender, ["tls1@example.net"]))).response).toMatch(/^250 /);
    if (outside) {
      const refused = await refusal(plain(outside).sendMail(message(dept.sender, ["tls2@example.net"])));
      expect(refused).toMatchObject({ responseCode: 530, response: "530 5.7.0 Must issue STARTTLS first" });
      const secured = nodemailer.createTransport({ host: outside, port: tlsPort, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: dept.account.username, pass: PASSWORD } });
      clients.push(secured);
      expect((await secured.sendMail(message(dept.sender, ["tls3@example.net"]))).response).toMatch(/^250 /);
      const [row] = await db().select().from(tasks).where(and(eq(tasks.departmentId, dept.departmentId), eq(tasks.clientIp, outside)));
      expect(row).toBeDefined();
    }
  });
});

/** A message as lines joined by CRLF. */
function rawMessage(...lines: string[]): string {
  return `${lines.join("\r\n")}\r\n`;
}

/** An address of this machine that is not loopback, so a connection to it does not count as local; null when it has none. */
function nonLoopbackAddress(): string | null {
  for (const entries of Object.values(os.networkInterfaces())) {
    for (const entry of entries ?? []) if (entry.family === "IPv4" && !entry.internal) return entry.address;
  }
  return null;
}

/** A throwaway self-signed certificate for the STARTTLS test (openssl, as an administrator would make one). */
function selfSignedCertificate(): { key: Buffer; cert: Buffer } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-tls-"));
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"), "-days", "1", "-subj", "/CN=fanout.test"], { stdio: "ignore" });
    return { key: fs.readFileSync(path.join(dir, "key.pem")), cert: fs.readFileSync(path.join(dir, "cert.pem")) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
