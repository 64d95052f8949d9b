import { and, eq, inArray } from "drizzle-orm";
import { expect, it } from "vitest";
import { auditLog, deliveries, departments, smtpAccounts, smtpSubmissions, suppressions, tasks } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import { hashPassword } from "@/lib/auth/passwords";
import { checkLogin, type GatewayAccount } from "@/lib/gateway/login";
import { readMessageHeader } from "@/lib/gateway/message-header";
import { SubmissionRecorder, type CheckedSubmission, type Recorded } from "@/lib/gateway/recorder";
import { SmtpRefusal } from "@/lib/gateway/replies";
import { auditWording, describeStoredSummary } from "@/lib/i18n/describe-audit";
import { createSmtpAccount } from "@/lib/gateway/smtp-accounts";
import { describeOnDatabases } from "../helpers/db";
import { unique } from "../helpers/factories";
import { makeSendingSetup } from "../helpers/sending";

/**
 * The entrance's group commit (lib/gateway/recorder.ts) and its login cache (login.ts), below the
 * SMTP dialogue: submissions that arrive together are recorded in one transaction, and yet each
 * one's refusal is its own; logins that share credentials share one password comparison, and a
 * changed password or a wrong one is never let through by what was cached.
 */

const PASSWORD = "recorder-password-1";

describeOnDatabases("SMTP entrance: recording and logins", (db) => {
  async function account(options: { quota?: number | null; messagesPerMinute?: number | null } = {}) {
    const setup = await makeSendingSetup(db(), { count: 0, quota: options.quota ?? 10_000 });
    const username = unique("rec").toLowerCase();
    await createSmtpAccount({ db: db(), actor: systemActor("test") }, { departmentId: setup.departmentId, username, password: PASSWORD, messagesPerMinute: options.messagesPerMinute ?? null });
    const login = await checkLogin(db(), { username, password: PASSWORD, ip: "127.0.0.1" });
    if (!login.ok) throw new Error(`login refused: ${login.reason}`);
    return { setup, account: login.account };
  }

  async function submission(account: GatewayAccount, senderId: string, subject: string, recipients: string[]): Promise<CheckedSubmission> {
    const raw = Buffer.from(`From: Sales <sales@example.org>\r\nTo: list@example.org\r\nSubject: ${subject}\r\n\r\nHello\r\n`);
    return { account, clientIp: "192.0.2.7", envelopeFrom: "sales@example.org", recipients, raw, header: await readMessageHeader(raw), senderId };
  }

  const settle = (promise: Promise<Recorded>) => promise.then((recorded) => ({ recorded }), (error: unknown) => ({ error }));

  it("records submissions that arrive together in one transaction, each with its task, message, deliveries, audit row and quota", async () => {
    const { setup, account: client } = await account();
    const tag = unique("r");
    await db().insert(suppressions).values({ departmentId: setup.departmentId, email: `b0.${tag}@example.net`, reason: "hard_bounce" });
    const recorder = new SubmissionRecorder(db(), { inFlight: () => 3, maxWaitMs: 1000 });
    const outcomes = await Promise.all(
      ["a", "b", "c"].map(async (name, i) => recorder.record(await submission(client, setup.senderId, `Group ${name}`, Array.from({ length: 3 + i }, (_, n) => `${name}${n}.${tag}@example.net`)))),
    );

    const rows = await db().select().from(tasks).where(inArray(tasks.id, outcomes.map((outcome) => outcome.taskId)));
    expect(rows.map((task) => [task.name, task.total, task.queued, task.suppressed]).sort()).toEqual([
      ["Group a", 3, 3, 0],
      ["Group b", 4, 3, 1],
      ["Group c", 5, 5, 0],
    ]);
    // One transaction: now() is the same for all three.
    expect(new Set(rows.map((task) => task.createdAt.getTime())).size).toBe(1);
    for (const task of rows) {
      const copies = await db().select().from(deliveries).where(eq(deliveries.taskId, task.id));
      expect(copies).toHaveLength(task.total);
      expect(copies.every((copy) => copy.email.startsWith(task.name.slice(-1)))).toBe(true);
      expect(copies.filter((copy) => copy.status === "suppressed")).toHaveLength(task.suppressed);
    }
    const kept = await db().select().from(smtpSubmissions).where(inArray(smtpSubmissions.taskId, outcomes.map((outcome) => outcome.taskId)));
    expect(kept.map((row) => row.raw.toString()).every((text) => text.startsWith("From: Sales"))).toBe(true);
    const audits = await db().select().from(auditLog).where(and(eq(auditLog.action, "smtp.submit"), eq(auditLog.departmentId, setup.departmentId)));
    expect(audits.map((row) => row.summary).sort()).toEqual([
      `Accepted "Group a" from <sales@example.org> through the SMTP entrance for 3 recipients`,
      `Accepted "Group b" from <sales@example.org> through the SMTP entrance for 4 recipients (1 suppressed)`,
      `Accepted "Group c" from <sales@example.org> through the SMTP entrance for 5 recipients`,
    ]);
    // The statement writes what recordAudit would: the English from the stored key and values, and the Chinese from the same.
    for (const row of audits) expect(row.summary).toBe(describeStoredSummary(row, auditWording("en")));
    expect(audits.map((row) => describeStoredSummary(row, auditWording("zh-CN"))).sort()).toEqual([
      "通过 SMTP 入口接收来自 <sales@example.org> 的“Group a”，共 3 个收件人",
      "通过 SMTP 入口接收来自 <sales@example.org> 的“Group b”，共 4 个收件人（屏蔽 1 个）",
      "通过 SMTP 入口接收来自 <sales@example.org> 的“Group c”，共 5 个收件人",
    ]);
    expect(audits.every((row) => row.operatorId === `smtp:${client.id}` && row.operatorLabel === `smtp:${client.username}` && row.operatorRole === "department" && row.ip === "192.0.2.7")).toBe(true);
    const groupB = audits.find((row) => row.summary.includes("Group b"))!;
    expect(groupB.details).toEqual({ envelopeFrom: "sales@example.org", from: "sales@example.org", size: kept.find((row) => row.taskId === groupB.objectId)!.size, recipients: 4, suppressed: 1 });
    const [held] = await db().select().from(departments).where(eq(departments.id, setup.departmentId));
    expect(held!.quotaReserved).toBe(11);
  });

  it("refuses only the member over the department's quota: the others of its group are recorded", async () => {
    const { setup, account: client } = await account({ quota: 25 });
    const tag = unique("q");
    const recorder = new SubmissionRecorder(db(), { inFlight: () => 3, maxWaitMs: 1000 });
    const outcomes = await Promise.all(
      [0, 1, 2].map(async (i) => settle(recorder.record(await submission(client, setup.senderId, `Quota ${i}`, Array.from({ length: 10 }, (_, n) => `q${i}-${n}.${tag}@example.net`))))),
    );
    const refused = outcomes.filter((outcome) => "error" in outcome);
    expect(refused).toHaveLength(1);
    const error = (refused[0] as { error: unknown }).error;
    expect(error).toBeInstanceOf(SmtpRefusal);
    expect((error as SmtpRefusal).responseCode).toBe(452);
    expect((error as SmtpRefusal).message).toMatch(/^4\.2\.2 Quota exhausted/);
    const recorded = await db().select().from(tasks).where(eq(tasks.departmentId, setup.departmentId));
    expect(recorded).toHaveLength(2);
    const [held] = await db().select().from(departments).where(eq(departments.id, setup.departmentId));
    expect(held!.quotaReserved).toBe(20);
  });

  it("takes the places left in an account's minute in order, and refuses the member past them with 451 4.7.1", async () => {
    const { setup, account: client } = await account({ messagesPerMinute: 2 });
    const tag = unique("m");
    const recorder = new SubmissionRecorder(db(), { inFlight: () => 3, maxWaitMs: 1000 });
    const outcomes = await Promise.all([0, 1, 2].map(async (i) => settle(recorder.record(await submission(client, setup.senderId, `Rate ${i}`, [`m${i}.${tag}@example.net`])))));
    expect(outcomes.map((outcome) => ("error" in outcome ? (outcome.error as SmtpRefusal).responseCode : "recorded"))).toEqual(["recorded", "recorded", 451]);
    expect(((outcomes[2] as { error: unknown }).error as SmtpRefusal).message).toMatch(/^4\.7\.1 Rate limit: this account may submit 2 message\(s\) a minute/);
    expect(await db().$count(tasks, eq(tasks.departmentId, setup.departmentId))).toBe(2);
  });

  it("checks the credentials of many logins at once with one comparison, and never lets a wrong or changed password through", async () => {
    const { account: client } = await account();
    // A new password (its hash not yet seen), then more logins at once than the password work queue
    // takes (2 running + 16 waiting): without the shared comparison, some would be told the server is busy.
    await db().update(smtpAccounts).set({ passwordHash: await hashPassword("another-password-2") }).where(eq(smtpAccounts.id, client.id));
    const logins = await Promise.all(Array.from({ length: 30 }, () => checkLogin(db(), { username: client.username, password: "another-password-2", ip: "127.0.0.1" })));
    expect(logins.every((login) => login.ok)).toBe(true);

    // The old password was verified a moment ago, under the old hash: it is refused now.
    expect(await checkLogin(db(), { username: client.username, password: PASSWORD, ip: "127.0.0.1" })).toEqual({ ok: false, reason: "wrong_password" });
    expect(await checkLogin(db(), { username: client.username, password: "another-password-2x", ip: "127.0.0.1" })).toEqual({ ok: false, reason: "wrong_password" });
    await db().update(smtpAccounts).set({ disabled: true }).where(eq(smtpAccounts.id, client.id));
    expect(await checkLogin(db(), { username: client.username, password: "another-password-2", ip: "127.0.0.1" })).toEqual({ ok: false, reason: "disabled" });
  });
});
