import "server-only";
import { and, eq, sql } from "drizzle-orm";
import type { Database, Executor } from "@/db/client";
import { senderDomains, senders } from "@/db/schema";
import { readSetting } from "@/lib/accounts/settings";
import { addressProblemInEnglish, normalizeAddress } from "@/lib/addresses/normalize";
import { AppError } from "@/lib/errors";
import { notifyEngine } from "@/lib/dispatch/task-changes";
import { visibleDomains } from "@/lib/senders/domains";
import { createSender } from "@/lib/senders/senders";
import { smtpActor, type GatewayAccount } from "./login";
import { readMessageHeader, type MessageHeader } from "./message-header";
import type { SubmissionRecorder } from "./recorder";
import { quoted, refuse } from "./replies";

/**
 * One accepted SMTP submission becomes work for the send engine: one task of kind `smtp` per
 * message (not per account and minute: a message is what the client was told was accepted, and
 * what a user looks for in the task list, with its subject as the name), its envelope recipients as
 * deliveries, its bytes kept as received in smtp_submissions. All of it, the quota reservation and
 * the operation-log row are committed before the 250 (recorder.ts), so an accepted message is
 * never lost and a refused or interrupted one leaves nothing behind.
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
  if (!checked.ok) return { ok: false, address, reason: `it is not a valid address (${addressProblemInEnglish(checked)})` };
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
 * Takes one message: checks its header and its From, then records it (recorder.ts: with the
 * messages that arrive meanwhile, in one transaction before their 250s) and tells the engine. Throws an SmtpRefusal the client is to hear; any other error is ours
 * (the entrance logs it and answers 451). Call once the whole message has arrived. `envelope` is
 * what senderPermission answered for the envelope sender at MAIL FROM: when the From is the same
 * address (as it nearly always is), it is not looked up again.
 */
export async function acceptSubmission(
  db: Database,
  recorder: SubmissionRecorder,
  submission: Submission,
  log: (message: string, error: unknown) => void,
  envelope?: SenderPermission,
): Promise<Accepted> {
  const { account, clientIp } = submission;
  const header = await readMessageHeader(submission.raw);
  const senderId = await senderOfHeader(db, submission, header, envelope);
  const accepted = await recorder.record({ ...submission, header, senderId });
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
