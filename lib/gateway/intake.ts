import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { queryRows, type Database, type Executor } from "@/db/client";
import { toArray } from "@/db/sql";
import { senderDomains, senders, smtpSubmissions, tasks } from "@/db/schema";
import { reserveQuota } from "@/lib/accounts/quota";
import { readSetting } from "@/lib/accounts/settings";
import { normalizeAddress } from "@/lib/addresses/normalize";
import { recordAudit } from "@/lib/audit/record";
import { readEnv } from "@/lib/config/env";
import { AppError } from "@/lib/errors";
import { notifyEngine } from "@/lib/sending/dispatch";
import { visibleDomains } from "@/lib/senders/domains";
import { createSender } from "@/lib/senders/senders";
import { accountRateRefusal } from "./limits";
import { smtpActor, type GatewayAccount } from "./login";
import { readMessageHeader, type MessageHeader } from "./message-header";
import { quoted, refuse, type SmtpRefusal } from "./replies";

/**
 * One accepted SMTP submission becomes work for the send engine: one task of kind `smtp` per
 * message (not per account and minute: a message is what the client was told was accepted, and
 * what a user looks for in the task list, with its subject as the name), its envelope recipients as
 * deliveries, its bytes kept as received in smtp_submissions. All of it, the quota reservation and
 * the operation-log row are one transaction that commits before the 250, so an accepted message
 * is never lost and a refused or interrupted one leaves nothing behind.
 */

export type Submission = {
  account: GatewayAccount;
  /** The client's socket address (the entrance has no proxy in front of it). */
  clientIp: string;
  envelopeFrom: string;
  /** Distinct envelope recipients, normalised (normalizeAddress), in the order given. */
  recipients: string[];
  /** The message as received. */
  raw: Buffer;
};

export type Accepted = { taskId: string; total: number; queued: number; suppressed: number };

export type SenderPermission = { ok: true; address: string; senderId: string | null } | { ok: false; address: string; reason: string };

/**
 * Whether a department may send as `address`: it is one of the department's senders, or it is on
 * a sender domain the department may use (its own or a company-wide one) that an admin approved
 * and, when the company requires verified domains, that passed its DNS check — the conditions
 * under which the console would let the department add that sender (createSender). `senderId` is
 * null when the address has no sender row yet.
 */
export async function senderPermission(db: Executor, departmentId: string, address: string): Promise<SenderPermission> {
  const checked = normalizeAddress(address);
  if (!checked.ok) return { ok: false, address, reason: `it is not a valid address (${checked.reason})` };
  const email = checked.email;
  const [sender] = await db.select({ id: senders.id }).from(senders).where(and(eq(senders.departmentId, departmentId), eq(senders.address, email)));
  if (sender) return { ok: true, address: email, senderId: sender.id };
  const domainName = email.slice(email.lastIndexOf("@") + 1);
  const [domain] = await db
    .select({ status: senderDomains.status, approval: senderDomains.approval })
    .from(senderDomains)
    .where(and(sql`lower(${senderDomains.domain}) = ${domainName}`, visibleDomains(departmentId)));
  if (!domain) return { ok: false, address: email, reason: `it is not a sender of this department, and ${domainName} is not one of its sender domains` };
  if (domain.approval !== "approved") return { ok: false, address: email, reason: `the domain ${domainName} is waiting for an administrator's approval` };
  if (domain.status !== "verified" && (await readSetting(db, "requireVerifiedDomains"))) {
    return { ok: false, address: email, reason: `the domain ${domainName} is not verified, and the company requires verified domains` };
  }
  return { ok: true, address: email, senderId: null };
}

/**
 * Takes one message: checks its header and its From, then records it (see the top of this file)
 * and tells the engine. Throws an SmtpRefusal the client is to hear; any other error is ours
 * (the entrance logs it and answers 451). Call once the whole message has arrived.
 */
export async function acceptSubmission(db: Database, submission: Submission, log: (message: string, error: unknown) => void): Promise<Accepted> {
  const { account, clientIp } = submission;
  const header = await readMessageHeader(submission.raw);
  const senderId = await senderOfHeader(db, submission, header);
  const accepted = await db.transaction((tx) => record(tx, submission, header, senderId));
  // The database is the truth from here: a lost nudge costs a runner tick or a reconciler round, not the message.
  await notifyEngine("scheduled", { id: accepted.taskId, scheduledAt: accepted.scheduledAt }).catch((error: unknown) =>
    log(`SMTP entrance: task ${accepted.taskId} of ${account.username} from ${clientIp} was accepted, but the engine was not told`, error),
  );
  return { taskId: accepted.taskId, total: accepted.total, queued: accepted.queued, suppressed: accepted.suppressed };
}

/** The sender row of the header From, made for it (audited, by the account) when its domain allows it and it has none yet. */
async function senderOfHeader(db: Database, submission: Submission, header: MessageHeader): Promise<string> {
  const { departmentId } = submission.account;
  const permission = await senderPermission(db, departmentId, header.from);
  if (!permission.ok) throw refuse(550, `5.7.1 The message's From ${quoted(permission.address)} is not allowed for this account: ${permission.reason}`);
  if (permission.senderId) return permission.senderId;
  try {
    const ctx = { db, actor: smtpActor(submission.account, submission.clientIp) };
    return (await createSender(ctx, { departmentId, address: permission.address, name: header.fromName })).id;
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    // Another submission made it meanwhile.
    const again = await senderPermission(db, departmentId, permission.address);
    if (again.ok && again.senderId) return again.senderId;
    throw refuse(550, `5.7.1 The message's From ${quoted(permission.address)} is not allowed for this account: ${error.message}`);
  }
}

type Recipient = { email: string; status: "queued" | "suppressed"; batchNo: number; error: string };

async function record(tx: Executor, submission: Submission, header: MessageHeader, senderId: string) {
  const { account, clientIp, raw } = submission;
  const departmentId = account.departmentId;
  const rate = await accountRateRefusal(tx, account, true);
  if (rate) throw rate;

  const suppressed = new Map(
    (
      await queryRows<{ email: string; reason: string }>(
        tx,
        sql`select email, reason from suppressions where department_id = ${departmentId} and email = any(${toArray(submission.recipients)}::text[])`,
      )
    ).map((row) => [row.email, row.reason]),
  );
  const { batchSize } = readEnv().sending;
  let sendable = 0;
  const recipients = submission.recipients.map((email): Recipient => {
    const reason = suppressed.get(email);
    if (reason !== undefined) return { email, status: "suppressed", batchNo: -1, error: `Suppressed (${reason.replace("_", " ")}) when submitted` };
    return { email, status: "queued", batchNo: Math.floor(sendable++ / batchSize), error: "" };
  });

  try {
    await reserveQuota(tx, departmentId, sendable);
  } catch (error) {
    if (error instanceof AppError && error.code === "quota_exceeded") throw await quotaRefusal(tx, departmentId, sendable, error);
    throw error;
  }

  const [task] = await tx
    .insert(tasks)
    .values({
      departmentId,
      name: header.subject,
      kind: "smtp",
      smtpAccountId: account.id,
      templateId: null,
      templateVersion: 0,
      poolIds: null,
      senderId,
      fromName: header.fromName,
      recipientLimit: null,
      tracking: account.tracking,
      status: "scheduled",
      scheduledAt: sql`now()`,
      materializeCursor: null,
      total: recipients.length,
      queued: sendable,
      suppressed: recipients.length - sendable,
      reserved: sendable,
      createdBy: `smtp:${account.username}`,
      clientIp,
    })
    .returning({ id: tasks.id, scheduledAt: tasks.scheduledAt });
  const taskId = task!.id;
  await tx.insert(smtpSubmissions).values({ taskId, departmentId, accountId: account.id, envelopeFrom: submission.envelopeFrom, raw, size: raw.length, clientIp });
  await tx.execute(sql`
    insert into deliveries (task_id, department_id, contact_id, email, status, batch_no, error)
    select ${taskId}, ${departmentId}, null, r.email, r.status, r.batch_no, nullif(r.error, '')
    from unnest(${toArray(recipients.map((row) => row.email))}::text[], ${toArray(recipients.map((row) => row.status))}::text[],
                ${toArray(recipients.map((row) => row.batchNo))}::int[], ${toArray(recipients.map((row) => row.error))}::text[])
         as r(email, status, batch_no, error)`);
  const suppressedCount = recipients.length - sendable;
  await recordAudit(tx, smtpActor(account, clientIp), {
    action: "smtp.submit",
    objectType: "task",
    objectId: taskId,
    departmentId,
    summary: `Accepted "${header.subject}" from ${quoted(submission.envelopeFrom)} through the SMTP entrance for ${recipients.length} recipient(s)${suppressedCount > 0 ? ` (${suppressedCount} suppressed)` : ""}`,
    details: { envelopeFrom: submission.envelopeFrom, from: header.from, size: raw.length, recipients: recipients.length, suppressed: suppressedCount },
  });
  return { taskId, scheduledAt: task!.scheduledAt, total: recipients.length, queued: sendable, suppressed: suppressedCount };
}

/**
 * 552 (permanent) when the message alone needs more than the department's or the company's whole
 * quota, so no retry can ever fit it; 452 (try later) when it would fit once quota is given back
 * or added. Both say "quota", the word a client's user looks for.
 */
async function quotaRefusal(tx: Executor, departmentId: string, needed: number, error: AppError): Promise<SmtpRefusal> {
  const [totals] = await queryRows<{ department_total: number | null; company_total: number | null }>(
    tx,
    sql`select d.quota_allocated as department_total, c.quota_total as company_total from departments d, companies c where d.id = ${departmentId} and c.id = 1`,
  );
  const departmentTotal = totals?.department_total ?? null;
  const companyTotal = totals?.company_total ?? null;
  if (departmentTotal !== null && needed > Number(departmentTotal)) {
    return refuse(552, `5.2.2 Quota exceeded: this message has ${needed} recipient(s), more than the department's whole quota of ${departmentTotal}`);
  }
  if (companyTotal !== null && needed > Number(companyTotal)) {
    return refuse(552, `5.2.2 Quota exceeded: this message has ${needed} recipient(s), more than the company's whole quota of ${companyTotal}`);
  }
  return refuse(452, `4.2.2 Quota exhausted: ${error.message}; try again later`);
}
