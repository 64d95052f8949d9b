import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { queryRows, type Database, type Executor } from "@/db/client";
import { toArray } from "@/db/sql";
import { senderDomains, senders } from "@/db/schema";
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
 * (the entrance logs it and answers 451). Call once the whole message has arrived. `envelope` is
 * what senderPermission answered for the envelope sender at MAIL FROM: when the From is the same
 * address (as it nearly always is), it is not looked up again.
 */
export async function acceptSubmission(db: Database, submission: Submission, log: (message: string, error: unknown) => void, envelope?: SenderPermission): Promise<Accepted> {
  const { account, clientIp } = submission;
  const header = await readMessageHeader(submission.raw);
  const senderId = await senderOfHeader(db, submission, header, envelope);
  const accepted = await db.transaction((tx) => record(tx, submission, header, senderId));
  // The database is the truth from here: a lost nudge costs a runner tick or a reconciler round, not the message.
  await notifyEngine("scheduled", { id: accepted.taskId, scheduledAt: accepted.scheduledAt }).catch((error: unknown) =>
    log(`SMTP entrance: task ${accepted.taskId} of ${account.username} from ${clientIp} was accepted, but the engine was not told`, error),
  );
  return { taskId: accepted.taskId, total: accepted.total, queued: accepted.queued, suppressed: accepted.total - accepted.queued };
}

/** The sender row of the header From, made for it (audited, by the account) when its domain allows it and it has none yet. */
async function senderOfHeader(db: Database, submission: Submission, header: MessageHeader, envelope: SenderPermission | undefined): Promise<string> {
  const { departmentId } = submission.account;
  const checked = normalizeAddress(header.from);
  if (envelope?.ok && envelope.senderId && checked.ok && checked.email === envelope.address) return envelope.senderId;
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

/**
 * The transaction behind the 250. The task, the message and the deliveries are one statement (a
 * statement is what an entrance under load pays for, on the embedded database most of all): the
 * recipients are looked up in the department's suppressions, the sendable ones numbered into the
 * engine's batches (suppressed ones in batch -1, as materialize.ts does) and the task's counters
 * taken from them. Then the operation-log row is written and the quota of the sendable ones
 * reserved (refused: the whole transaction is undone).
 */
async function record(tx: Executor, submission: Submission, header: MessageHeader, senderId: string) {
  const { account, clientIp, raw } = submission;
  const departmentId = account.departmentId;
  const rate = await accountRateRefusal(tx, account, true);
  if (rate) throw rate;

  const { batchSize } = readEnv().sending;
  const [task] = await queryRows<{ id: string; scheduled_at: Date | string; total: number; queued: number }>(
    tx,
    sql`with given as (
          select g.email, g.ord, s.reason
          from unnest(${toArray(submission.recipients)}::text[]) with ordinality as g(email, ord)
          left join suppressions s on s.department_id = ${departmentId} and s.email = g.email
        ),
        numbered as (
          select email, reason,
                 case when reason is null then ((row_number() over (partition by reason is null order by ord) - 1) / ${batchSize}::int)::int else -1 end as batch_no
          from given
        ),
        counts as (select count(*)::int as total, (count(*) filter (where reason is null))::int as queued from given),
        task as (
          insert into tasks (department_id, name, kind, smtp_account_id, template_id, template_version, pool_ids, sender_id, from_name, recipient_limit,
                                tracking, status, scheduled_at, materialize_cursor, total, queued, suppressed, reserved, created_by, client_ip)
          select ${departmentId}, ${header.subject}, 'smtp', ${account.id}, null, 0, null, ${senderId}, ${header.fromName}, null,
                 ${account.tracking}, 'scheduled', now(), null, total, queued, total - queued, queued, ${`smtp:${account.username}`}, ${clientIp}
          from counts
          returning id, scheduled_at, total, queued
        ),
        message as (
          insert into smtp_submissions (task_id, department_id, account_id, envelope_from, raw, size, client_ip)
          select id, ${departmentId}, ${account.id}, ${submission.envelopeFrom}, ${raw}::bytea, ${raw.length}, ${clientIp} from task
        ),
        recipients as (
          insert into deliveries (task_id, department_id, contact_id, email, status, batch_no, error)
          select task.id, ${departmentId}, null, numbered.email, case when numbered.reason is null then 'queued' else 'suppressed' end, numbered.batch_no,
                 case when numbered.reason is null then null else 'Suppressed (' || replace(numbered.reason, '_', ' ') || ') when submitted' end
          from task, numbered
        )
        select id, scheduled_at, total, queued from task`,
  );
  const { id: taskId, total, queued } = task!;

  const suppressed = total - queued;
  await recordAudit(tx, smtpActor(account, clientIp), {
    action: "smtp.submit",
    objectType: "task",
    objectId: taskId,
    departmentId,
    summary: `Accepted "${header.subject}" from ${quoted(submission.envelopeFrom)} through the SMTP entrance for ${total} recipient(s)${suppressed > 0 ? ` (${suppressed} suppressed)` : ""}`,
    details: { envelopeFrom: submission.envelopeFrom, from: header.from, size: raw.length, recipients: total, suppressed },
  });
  // Last, so the department's and the company's rows (which every submission updates) stay locked only until the commit.
  try {
    await reserveQuota(tx, departmentId, queued);
  } catch (error) {
    if (error instanceof AppError && error.code === "quota_exceeded") throw await quotaRefusal(tx, departmentId, queued, error);
    throw error;
  }
  return { taskId, scheduledAt: new Date(task!.scheduled_at), total, queued };
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
