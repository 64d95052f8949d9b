import crypto from "node:crypto";
import { and, eq, inArray } from "drizzle-orm";
import { simpleParser } from "mailparser";
import nodemailer from "nodemailer";
import type Mail from "nodemailer/lib/mailer";
import type { Database } from "@/db/client";
import { deliveries, smtpAccounts, smtpSubmissions, suppressions, tasks } from "@/db/schema";
import { reserveQuota } from "@/lib/accounts/quota";
import { notifyEngine } from "@/lib/dispatch/task-changes";
import { sendingConfig } from "@/lib/sending/config";
import { unique } from "./factories";

/*
 * What the SMTP entrance leaves behind when it answers 250 to a submission, written the way the
 * intake contract of issue 12 says (one transaction): an `smtp` task already materialised, its
 * smtp_submissions row with the message as received, one delivery per envelope recipient
 * (suppressed ones as such, batch -1), the quota of the sendable ones reserved; then the engine
 * is told. Engine tests use it to send such tasks without going through the entrance.
 */

/** A department SMTP account as the account pages create one (the password is not needed here). */
export async function makeSmtpAccount(db: Database, departmentId: string, options: { tracking?: boolean; username?: string } = {}) {
  const [account] = await db
    .insert(smtpAccounts)
    .values({ departmentId, username: options.username ?? unique("client").toLowerCase(), passwordHash: "$2b$10$notusedinthesetestsnotusedinthesetestsnotusedinthes", tracking: options.tracking ?? true })
    .returning();
  return account!;
}

/** A message as a group-send client composes it (nodemailer's composer, CRLF line ends); extra header lines go on top. */
export async function composeMessage(mail: Mail.Options, extraHeaderLines: string[] = []): Promise<Buffer> {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "windows" });
  const info = await composer.sendMail({ disableFileAccess: true, disableUrlAccess: true, ...mail });
  const raw = info.message as Buffer;
  return extraHeaderLines.length > 0 ? Buffer.concat([Buffer.from(extraHeaderLines.map((line) => `${line}\r\n`).join("")), raw]) : raw;
}

export type SubmissionInput = {
  account: { id: string; username: string; departmentId: string; tracking: boolean };
  /** The sender row of the message's From address. */
  senderId: string;
  raw: Buffer;
  /** Envelope recipients (RCPT TO), in order. */
  recipients: string[];
  envelopeFrom?: string;
  clientIp?: string;
  batchSize?: number;
};

/** Writes one accepted submission in the contract's shape and tells the engine; answers the task id. */
export async function writeSmtpSubmission(db: Database, input: SubmissionInput): Promise<string> {
  const { account } = input;
  const departmentId = account.departmentId;
  const parsed = await simpleParser(input.raw, { skipHtmlToText: true, skipTextToHtml: true, keepCidLinks: true });
  const fromName = parsed.from?.value[0]?.name ?? "";
  const envelopeFrom = input.envelopeFrom ?? parsed.from?.value[0]?.address ?? "";
  const clientIp = input.clientIp ?? "192.0.2.10";
  const batchSize = input.batchSize ?? sendingConfig().batchSize;
  const recipients = [...new Set(input.recipients.map((address) => address.toLowerCase()))];

  const taskId = await db.transaction(async (tx) => {
    const blocked = new Set(
      recipients.length === 0
        ? []
        : (await tx.select({ email: suppressions.email }).from(suppressions).where(and(eq(suppressions.departmentId, departmentId), inArray(suppressions.email, recipients)))).map(
            (row) => row.email,
          ),
    );
    const sendable = recipients.filter((address) => !blocked.has(address));
    await reserveQuota(tx, departmentId, sendable.length);
    const id = crypto.randomUUID();
    await tx.insert(tasks).values({
      id,
      departmentId,
      kind: "smtp",
      name: parsed.subject ?? "",
      templateId: null,
      templateVersion: 0,
      poolIds: null,
      senderId: input.senderId,
      fromName,
      tracking: account.tracking,
      status: "scheduled",
      scheduledAt: new Date(),
      materializeCursor: null,
      total: recipients.length,
      queued: sendable.length,
      suppressed: recipients.length - sendable.length,
      reserved: sendable.length,
      createdBy: `smtp:${account.username}`,
      clientIp,
      smtpAccountId: account.id,
    });
    await tx.insert(smtpSubmissions).values({ taskId: id, departmentId, accountId: account.id, envelopeFrom, raw: input.raw, size: input.raw.byteLength, clientIp });
    let queued = 0;
    const rows = recipients.map((email) =>
      blocked.has(email)
        ? { taskId: id, departmentId, contactId: null, email, status: "suppressed" as const, batchNo: -1 }
        : { taskId: id, departmentId, contactId: null, email, status: "queued" as const, batchNo: Math.floor(queued++ / batchSize) },
    );
    if (rows.length > 0) await tx.insert(deliveries).values(rows);
    return id;
  });
  await notifyEngine("scheduled", { id: taskId, scheduledAt: new Date() });
  return taskId;
}
