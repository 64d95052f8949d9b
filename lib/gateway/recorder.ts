import "server-only";
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { queryRows, type Database, type Executor } from "@/db/client";
import { toArray } from "@/db/sql";
import { reserveQuotaOfDepartments } from "@/lib/accounts/quota";
import { operatorId } from "@/lib/access/actor";
import { suppressionMatches } from "@/lib/addresses/erased";
import { readEnv } from "@/lib/config/env";
import { AppError } from "@/lib/errors";
import { accountRateRoom, rateRefusal } from "./limits";
import { smtpActor, type GatewayAccount } from "./login";
import type { MessageHeader } from "./message-header";
import { quoted, refuse, SmtpRefusal } from "./replies";
import { englishAuditSummary } from "@/lib/i18n/describe-audit";

/**
 * The transaction behind the 250, shared by the submissions that arrive together (group commit).
 * A group starts when every connection that has an envelope open has its message waiting here (or
 * after a couple of milliseconds), so under load one statement and one commit serve many messages
 * instead of one (one transaction per message measured about a fifth of a raw smtp-server's rate
 * on the embedded database, a quarter on Postgres); a lone client's message starts at once. Every
 * member still hears its 250 only after the commit that holds its task, message, deliveries,
 * operation-log row and quota.
 *
 * What one member is refused (its account's per-minute limit) is its own and leaves the others in
 * the group. When the group's transaction fails as a whole (the quota of the group does not fit, a
 * deadlock, an error), each member is recorded again in a transaction of its own, so one message's
 * refusal or fault is never another's.
 */

/** A submission checked and read (intake.ts), ready to be recorded. */
export type CheckedSubmission = {
  account: GatewayAccount;
  clientIp: string;
  envelopeFrom: string;
  recipients: string[];
  raw: Buffer;
  header: MessageHeader;
  senderId: string;
};

export type Recorded = { taskId: string; scheduledAt: Date; total: number; queued: number };

/** A group's bounds: members, their recipients and their bytes (at least one member, whatever its size). */
export const GROUP_LIMITS = { submissions: 64, recipients: 10_000, bytes: 32 * 1024 * 1024 } as const;

type Waiting = { submission: CheckedSubmission; resolve: (recorded: Recorded) => void; reject: (error: unknown) => void };

export type RecorderOptions = {
  /**
   * Submissions on their way: connections between an accepted MAIL FROM and the answer to their
   * DATA, those already waiting here included. A group starts once all of them wait (or after
   * `maxWaitMs`), so a burst from many clients is recorded in few transactions, and a lone
   * client's message starts at once. Default: nothing expected, each group starts at once.
   */
  inFlight?: () => number;
  /** How long the first waiting submission may wait for the others (default 2 ms). */
  maxWaitMs?: number;
  /**
   * Groups recorded at once, each in its own transaction (default 1). On a server database a group
   * spends most of its time waiting for round trips and its commit, so a second group can form and
   * run meanwhile; the embedded database has one session, where one is all there is.
   */
  lanes?: number;
};

export class SubmissionRecorder {
  private readonly waiting: Waiting[] = [];
  /** Groups being recorded, and their members. */
  private running = 0;
  private recording = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight: () => number;
  private readonly maxWaitMs: number;
  private readonly lanes: number;

  constructor(
    private readonly db: Database,
    options: RecorderOptions = {},
  ) {
    this.inFlight = options.inFlight ?? (() => 0);
    this.maxWaitMs = options.maxWaitMs ?? 2;
    this.lanes = Math.max(1, options.lanes ?? 1);
  }

  /** Records one submission with whatever others wait; settles after the commit (or with its refusal). */
  record(submission: CheckedSubmission): Promise<Recorded> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ submission, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running >= this.lanes || this.waiting.length === 0) return;
    // Those already being recorded are no longer expected here.
    if (this.waiting.length >= Math.min(GROUP_LIMITS.submissions, this.inFlight() - this.recording)) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.running++;
      // After the I/O already waiting: on the embedded database a transaction never yields to the
      // event loop (PGlite answers in microtasks), so what arrived meanwhile is read first.
      setImmediate(() => void this.drain());
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        if (this.running >= this.lanes || this.waiting.length === 0) return;
        this.running++;
        void this.drain();
      }, this.maxWaitMs);
    }
  }

  private async drain(): Promise<void> {
    const group = this.nextGroup();
    this.recording += group.length;
    try {
      await this.recordGroup(group);
    } finally {
      this.recording -= group.length;
      this.running--;
      this.schedule();
    }
  }

  private nextGroup(): Waiting[] {
    let recipients = 0;
    let bytes = 0;
    let size = 0;
    for (const { submission } of this.waiting) {
      recipients += submission.recipients.length;
      bytes += submission.raw.length;
      if (size > 0 && (size >= GROUP_LIMITS.submissions || recipients > GROUP_LIMITS.recipients || bytes > GROUP_LIMITS.bytes)) break;
      size++;
    }
    return this.waiting.splice(0, size);
  }

  private async recordGroup(group: Waiting[]): Promise<void> {
    if (group.length === 0) return;
    try {
      const outcomes = await this.db.transaction((tx) => recordAll(tx, group.map((member) => member.submission)));
      outcomes.forEach((outcome, i) => (outcome instanceof SmtpRefusal ? group[i]!.reject(outcome) : group[i]!.resolve(outcome)));
    } catch (error) {
      if (group.length === 1) return group[0]!.reject(error);
      for (const member of group) await this.recordGroup([member]);
    }
  }
}

/**
 * Records the members that the per-minute limits let through in one statement (a statement is
 * what an entrance under load pays for, on the embedded database most of all): the recipients are
 * looked up in each department's suppressions, the sendable ones numbered into the engine's
 * batches (suppressed ones in batch -1, as materialize.ts does), each task's counters taken from
 * them, and the operation-log rows written as recordAudit writes them. Last the quota of the
 * sendable ones, so the departments' and the company's rows (which every submission updates) stay
 * locked only until the commit. A member refused by its rate limit gets its refusal in its place.
 */
async function recordAll(tx: Executor, submissions: CheckedSubmission[]): Promise<(Recorded | SmtpRefusal)[]> {
  const outcomes: (Recorded | SmtpRefusal | null)[] = await rateRefusals(tx, submissions);
  const admitted = submissions.map((submission, i) => ({ submission, i, taskId: randomUUID() })).filter(({ i }) => outcomes[i] === null);
  if (admitted.length === 0) return outcomes as SmtpRefusal[];

  const { batchSize } = readEnv().sending;
  const rows = sql.join(
    admitted.map(({ submission: s, taskId }) => {
      const actor = smtpActor(s.account, s.clientIp);
      const english = englishSubmitSummaries(s);
      return sql`(${taskId}::uuid, ${s.account.departmentId}::uuid, ${s.header.subject}::text, ${s.account.id}::uuid, ${s.senderId}::uuid, ${s.header.fromName}::text,
                  ${s.account.tracking}::boolean, ${actor.label}::text, ${s.clientIp}::text, ${s.envelopeFrom}::text, ${s.raw}::bytea, ${s.raw.length}::int,
                  ${operatorId(actor)}::text, ${actor.role}::text, ${s.header.from}::text, ${english.one}::jsonb, ${english.many}::jsonb,
                  ${quoted(s.envelopeFrom)}::text)`;
    }),
    sql`, `,
  );
  const recipientTasks = admitted.flatMap(({ submission, taskId }) => submission.recipients.map(() => taskId));
  const recipientEmails = admitted.flatMap(({ submission }) => submission.recipients);
  const statement = sql`with submitted (id, department_id, name, account_id, sender_id, from_name, tracking, created_by, client_ip, envelope_from, raw, size,
                        operator_id, operator_role, header_from, english_one, english_many, quoted_from) as (values ${rows}),
        given as (
          select r.task_id, r.email, r.ord, s.reason
          from unnest(${toArray(recipientTasks)}::uuid[], ${toArray(recipientEmails)}::text[]) with ordinality as r(task_id, email, ord)
          join submitted on submitted.id = r.task_id
          left join lateral (select s.reason from suppressions s where s.department_id = submitted.department_id and ${suppressionMatches(sql`s.email`, sql`r.email`)} limit 1) s on true
        ),
        numbered as (
          select task_id, email, reason,
                 case when reason is null then ((row_number() over (partition by task_id, reason is null order by ord) - 1) / ${batchSize}::int)::int else -1 end as batch_no
          from given
        ),
        counts as (select task_id, count(*)::int as total, (count(*) filter (where reason is null))::int as queued from given group by task_id),
        task as (
          insert into tasks (id, department_id, name, kind, smtp_account_id, template_id, template_version, pool_ids, sender_id, from_name, recipient_limit,
                             tracking, status, scheduled_at, materialize_cursor, total, queued, suppressed, reserved, created_by, client_ip)
          select s.id, s.department_id, s.name, 'smtp', s.account_id, null, 0, null, s.sender_id, s.from_name, null,
                 s.tracking, 'scheduled', now(), null, c.total, c.queued, c.total - c.queued, c.queued, s.created_by, s.client_ip
          from submitted s join counts c on c.task_id = s.id
          returning id, scheduled_at, total, queued
        ),
        message as (
          insert into smtp_submissions (task_id, department_id, account_id, envelope_from, raw, size, client_ip)
          select s.id, s.department_id, s.account_id, s.envelope_from, s.raw, s.size, s.client_ip from submitted s join task on task.id = s.id
        ),
        recipients as (
          insert into deliveries (task_id, department_id, contact_id, email, status, batch_no, error)
          select n.task_id, s.department_id, null, n.email, case when n.reason is null then 'queued' else 'suppressed' end, n.batch_no,
                 case when n.reason is null then null else 'Suppressed (' || replace(n.reason, '_', ' ') || ') when submitted' end
          from numbered n join submitted s on s.id = n.task_id join task on task.id = n.task_id
        ),
        audit as (
          insert into audit_log (operator_id, operator_label, operator_role, ip, action, object_type, object_id, department_id, summary, details, summary_key, summary_params)
          select s.operator_id, s.created_by, s.operator_role, s.client_ip, 'smtp.submit', 'task', task.id::text, s.department_id,
                 left(replace(replace(case when task.total = 1 then s.english_one else s.english_many end ->> (task.total > task.queued)::text,
                                      ${COUNT_MARKS.recipients}, to_char(task.total, 'FM999,999,999')),
                              ${COUNT_MARKS.suppressed}, to_char(task.total - task.queued, 'FM999,999,999')), 500),
                 jsonb_build_object('envelopeFrom', s.envelope_from, 'from', s.header_from, 'size', s.size, 'recipients', task.total, 'suppressed', task.total - task.queued),
                 'smtp.submit',
                 jsonb_build_object('values', jsonb_build_object('subject', s.name, 'from', s.quoted_from, 'recipients', task.total, 'suppressed', task.total - task.queued),
                                    'notes', case when task.total > task.queued then '["suppressedCount"]'::jsonb else '[]'::jsonb end)
          from submitted s join task on task.id = s.id
        )
        select id, scheduled_at, total, queued from task`;
  const tasks = await queryRows<{ id: string; scheduled_at: Date | string; total: number; queued: number }>(tx, statement);
  const byId = new Map(tasks.map((task) => [task.id, task]));

  const quota = new Map<string, number>();
  for (const { submission, i, taskId } of admitted) {
    const task = byId.get(taskId);
    if (!task) throw new Error(`the task of a submission was not recorded (${taskId})`);
    const departmentId = submission.account.departmentId;
    outcomes[i] = { taskId, scheduledAt: new Date(task.scheduled_at), total: task.total, queued: task.queued };
    quota.set(departmentId, (quota.get(departmentId) ?? 0) + task.queued);
  }
  try {
    await reserveQuotaOfDepartments(tx, quota);
  } catch (error) {
    // A group's shortfall is settled member by member (the caller records each alone).
    if (admitted.length === 1 && error instanceof AppError && error.code === "quota_exceeded") {
      const [{ submission, i }] = admitted as [(typeof admitted)[number]];
      throw await quotaRefusal(tx, submission.account.departmentId, (outcomes[i] as Recorded).queued, error);
    }
    throw error;
  }
  return outcomes as (Recorded | SmtpRefusal)[];
}

/**
 * Each member's answer from its account's per-minute limit: null when it may be recorded, else its
 * refusal. The limited accounts' rows are locked in id order (so two groups cannot deadlock) and
 * their windows counted once; the group's own members then take the places left, in order.
 */
async function rateRefusals(tx: Executor, submissions: CheckedSubmission[]): Promise<(SmtpRefusal | null)[]> {
  const limited = [...new Map(submissions.filter((s) => s.account.messagesPerMinute !== null).map((s) => [s.account.id, s.account])).values()].sort((a, b) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
  const rooms = new Map<string, { left: number; waitMs: number }>();
  for (const account of limited) rooms.set(account.id, await accountRateRoom(tx, account, true));
  return submissions.map(({ account }) => {
    const room = rooms.get(account.id);
    if (!room) return null;
    if (room.left <= 0) return rateRefusal(account, room.waitMs);
    room.left--;
    return null;
  });
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
  return refuse(452, `4.2.2 Quota exhausted: ${error.message.replace(/\.$/, "")}; try again later`);
}

/** Stand-ins for the counts only the statement knows, replaced there by the counts in English digits. */
const COUNT_MARKS = { recipients: "\u0001recipients\u0001", suppressed: "\u0001suppressed\u0001" };

/**
 * The English summary of a submission as recordAudit would store it, for each case the statement
 * picks from: one recipient or more ("recipient"/"recipients"), each with and without the
 * suppressed note (keyed "true"/"false" by whether any were suppressed).
 */
function englishSubmitSummaries(s: CheckedSubmission): { one: string; many: string } {
  const variants = (recipients: number | string) => {
    const params = { subject: s.header.subject, from: quoted(s.envelopeFrom), recipients, suppressed: COUNT_MARKS.suppressed };
    return JSON.stringify({
      false: englishAuditSummary({ key: "smtp.submit", params }),
      true: englishAuditSummary({ key: "smtp.submit", params, notes: ["suppressedCount"] }),
    });
  };
  return { one: variants(1), many: variants(COUNT_MARKS.recipients) };
}
