import "server-only";
import { sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import type { Ctx } from "@/lib/access/context";
import { authorize } from "@/lib/access/policy";
import { normalizeAddress } from "@/lib/addresses/normalize";
import { invalidInput } from "@/lib/errors";
import { mentions, scrubOf, type Scrub } from "./scrub";

/** Rows of one kind a lookup returns; past it the kind says `truncated` (an export is meant to be read by a person). */
export const HOLDINGS_LIMIT = 5_000;

/**
 * Everything Fanout holds about one address (个人信息查阅): each kind of record, read across every
 * department. The address and the rows that carry it in clear; deliveries an erasure or the
 * retention job already redacted are only counted.
 */
export type Holdings = {
  email: string;
  contacts: {
    id: number;
    departmentId: string;
    department: string;
    name: string;
    attributes: Record<string, string>;
    status: string;
    hygiene: string[];
    createdAt: string;
    pools: string[];
    tags: string[];
    phone: string | null;
    wecomUserId: string | null;
    channelConsent: string[];
  }[];
  /** The automations the contacts were enrolled in (a welcome series, a birthday): where each stands. */
  automations: { departmentId: string; department: string; automation: string; status: string; step: number; enrolledAt: string; finishedAt: string | null }[];
  /** Opt-outs of the contacts' phone numbers and WeCom ids (SMS, WhatsApp, WeCom) in their departments. */
  channelSuppressions: { departmentId: string; department: string; channel: string; address: string; reason: string; createdAt: string }[];
  deliveries: { id: number; departmentId: string; taskId: string; task: string; status: string; category: string | null; error: string | null; sentAt: string | null; deliveredAt: string | null; bouncedAt: string | null; complainedAt: string | null; unsubscribedAt: string | null; openCount: number; clickCount: number }[];
  events: { deliveryId: number; type: string; source: string; machine: boolean; detail: Record<string, unknown>; occurredAt: string }[];
  suppressions: { departmentId: string; department: string; reason: string; note: string; createdAt: string; erased: boolean }[];
  auditMentions: { id: number; at: string; action: string; operator: string; summary: string }[];
  stored: {
    outboxMessages: { id: string; subject: string; toAddress: string; createdAt: string }[];
    apiMessages: { taskId: string; createdAt: string }[];
    smtpSubmissions: { taskId: string; createdAt: string }[];
    groupPosts: { id: string; groupId: string; subject: string; status: string; receivedAt: string }[];
    auxiliaryMail: { kind: string; createdAt: string }[];
    webhookMessages: { id: number; type: string; status: string; createdAt: string }[];
    importErrors: { importId: string; line: number }[];
    users: { id: string; role: string }[];
    loginFailures: number;
  };
  /** Deliveries whose address was already replaced by its erased key (an earlier erasure, or retention). */
  redactedDeliveries: number;
  truncated: boolean;
};

/** The address as contacts store it, or the reason it is none. */
export function normalizedOrRefuse(raw: string): string {
  const checked = normalizeAddress(raw);
  if (!checked.ok) throw invalidInput("invalidAddress", { field: "email", params: { ...checked.params, address: raw.slice(0, 100), problem: checked.reason } });
  return checked.email;
}

/** A timestamp column as ISO 8601 in UTC, the way the export shows every time. */
const at = (column: string) => sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

export async function lookupAddress(ctx: Ctx, address: string): Promise<Holdings> {
  authorize(ctx.actor, "privacy.manage");
  const email = normalizedOrRefuse(address);
  return readHoldings(ctx.db, scrubOf(email));
}

async function readHoldings(db: Executor, scrub: Scrub): Promise<Holdings> {
  const { email } = scrub;
  const limit = HOLDINGS_LIMIT + 1;
  const contacts = await queryRows<Holdings["contacts"][number]>(
    db,
    sql`select c.id::int as id, c.department_id as "departmentId", d.name as department, c.name, c.attributes, c.status, c.hygiene, ${at("c.created_at")} as "createdAt",
               c.phone, c.wecom_user_id as "wecomUserId", c.channel_consent as "channelConsent",
               coalesce((select array_agg(p.name order by p.name) from pool_members pm join pools p on p.id = pm.pool_id where pm.contact_id = c.id), '{}') as pools,
               coalesce((select array_agg(t.name order by t.name) from contact_tags ct join tags t on t.id = ct.tag_id where ct.contact_id = c.id), '{}') as tags
        from contacts c join departments d on d.id = c.department_id where c.email = ${email} order by d.name limit ${limit}`,
  );
  const deliveries = await queryRows<Holdings["deliveries"][number]>(
    db,
    sql`select d.id::int as id, d.department_id as "departmentId", d.task_id as "taskId", t.name as task, d.status, d.category, d.error,
               ${at("d.sent_at")} as "sentAt", ${at("d.delivered_at")} as "deliveredAt", ${at("d.bounced_at")} as "bouncedAt",
               ${at("d.complained_at")} as "complainedAt", ${at("d.unsubscribed_at")} as "unsubscribedAt", d.open_count as "openCount", d.click_count as "clickCount"
        from deliveries d join tasks t on t.id = d.task_id where d.email = ${email} order by d.id desc limit ${limit}`,
  );
  const events = await queryRows<Holdings["events"][number]>(
    db,
    sql`select e.delivery_id::int as "deliveryId", e.type, e.source, e.machine, e.detail, ${at("e.occurred_at")} as "occurredAt"
        from delivery_events e where e.delivery_id in (select id from deliveries where email = ${email}) order by e.id desc limit ${limit}`,
  );
  const suppressions = await queryRows<Holdings["suppressions"][number]>(
    db,
    sql`select s.department_id as "departmentId", d.name as department, s.reason, s.note, ${at("s.created_at")} as "createdAt", s.email <> ${email} as erased
        from suppressions s join departments d on d.id = s.department_id where s.email in (${email}, ${scrub.key}) order by d.name limit ${limit}`,
  );
  const channelSuppressions = await queryRows<Holdings["channelSuppressions"][number]>(
    db,
    sql`select s.department_id as "departmentId", d.name as department, s.channel, s.address, s.reason, ${at("s.created_at")} as "createdAt"
        from channel_suppressions s join departments d on d.id = s.department_id
        join contacts c on c.department_id = s.department_id and c.email = ${email}
          and ((s.channel in ('sms', 'whatsapp') and s.address = c.phone) or (s.channel = 'wecom' and s.address = c.wecom_user_id))
        order by d.name, s.channel limit ${limit}`,
  );
  const automations = await queryRows<Holdings["automations"][number]>(
    db,
    sql`select e.department_id as "departmentId", d.name as department, a.name as automation, e.status, e.step,
               ${at("e.enrolled_at")} as "enrolledAt", case when e.finished_at is null then null else ${at("e.finished_at")} end as "finishedAt"
        from automation_enrolments e join contacts c on c.id = e.contact_id join automations a on a.id = e.automation_id join departments d on d.id = e.department_id
        where c.email = ${email} order by e.id desc limit ${limit}`,
  );
  const auditMentions = await queryRows<Holdings["auditMentions"][number]>(
    db,
    sql`select a.id::int as id, ${at("a.at")} as at, a.action, a.operator_label as operator, a.summary from audit_log a
        where ${mentions(scrub, sql`concat_ws(' ', a.object_id, a.summary, a.summary_params::text, a.details::text)`)} order by a.id desc limit ${limit}`,
  );
  const [redacted] = await queryRows<{ count: number }>(db, sql`select count(*)::int as count from deliveries where email = ${scrub.placeholder}`);
  const stored = await readStored(db, scrub, limit);
  const lists = [contacts, deliveries, events, suppressions, channelSuppressions, automations, auditMentions, ...Object.values(stored).filter(Array.isArray)];
  const truncated = lists.some((list) => list.length > HOLDINGS_LIMIT);
  const cut = <T>(list: T[]) => list.slice(0, HOLDINGS_LIMIT);
  return {
    email,
    contacts: cut(contacts).map((row) => ({ ...row, hygiene: row.hygiene ?? [], channelConsent: row.channelConsent ?? [] })),
    channelSuppressions: cut(channelSuppressions),
    automations: cut(automations),
    deliveries: cut(deliveries),
    events: cut(events),
    suppressions: cut(suppressions),
    auditMentions: cut(auditMentions),
    stored: {
      ...stored,
      outboxMessages: cut(stored.outboxMessages),
      webhookMessages: cut(stored.webhookMessages),
      importErrors: cut(stored.importErrors),
    },
    redactedDeliveries: redacted?.count ?? 0,
    truncated,
  };
}

/** Stored messages and records beside the ledger that hold the address: mail, payloads, import reports, sign-in records. */
async function readStored(db: Executor, scrub: Scrub, limit: number): Promise<Holdings["stored"]> {
  const { email } = scrub;
  const tasksOfAddress = sql`(select task_id from deliveries where email = ${email})`;
  const [outboxMessages, apiMessages, smtpSubmissions, groupPosts, auxiliaryMail, webhookMessages, importErrors, users, loginFailures] = await Promise.all([
    queryRows<Holdings["stored"]["outboxMessages"][number]>(
      db,
      sql`select id, subject, to_address as "toAddress", ${at("created_at")} as "createdAt" from outbox_messages
          where to_address = ${email} or ${mentions(scrub, sql`mime`)} order by created_at desc limit ${limit}`,
    ),
    queryRows<Holdings["stored"]["apiMessages"][number]>(
      db,
      sql`select task_id as "taskId", ${at("created_at")} as "createdAt" from messages where task_id in ${tasksOfAddress} order by created_at desc limit ${limit}`,
    ),
    queryRows<Holdings["stored"]["smtpSubmissions"][number]>(
      db,
      sql`select task_id as "taskId", ${at("created_at")} as "createdAt" from smtp_submissions where task_id in ${tasksOfAddress} order by created_at desc limit ${limit}`,
    ),
    queryRows<Holdings["stored"]["groupPosts"][number]>(
      db,
      sql`select id, group_id as "groupId", subject, status, ${at("received_at")} as "receivedAt" from group_posts
          where from_address = ${email} or ${mentions(scrub, sql`concat_ws(' ', subject, body_text, from_name)`)} order by received_at desc limit ${limit}`,
    ),
    queryRows<Holdings["stored"]["auxiliaryMail"][number]>(db, sql`select kind, ${at("created_at")} as "createdAt" from auxiliary_mail where email = ${email} order by id desc limit ${limit}`),
    queryRows<Holdings["stored"]["webhookMessages"][number]>(
      db,
      sql`select id::int as id, type, status, ${at("created_at")} as "createdAt" from webhook_messages
          where ${mentions(scrub, sql`concat_ws(' ', payload::text, last_response)`)} order by id desc limit ${limit}`,
    ),
    queryRows<Holdings["stored"]["importErrors"][number]>(
      db,
      sql`select import_id as "importId", line from import_errors where ${mentions(scrub, sql`concat_ws(' ', value, params::text)`)} limit ${limit}`,
    ),
    queryRows<Holdings["stored"]["users"][number]>(db, sql`select id, role from users where lower(email) = lower(${email})`),
    queryRows<{ count: number }>(db, sql`select count(*)::int as count from login_failures where lower(email) = lower(${email})`),
  ]);
  return { outboxMessages, apiMessages, smtpSubmissions, groupPosts, auxiliaryMail, webhookMessages, importErrors, users, loginFailures: loginFailures[0]?.count ?? 0 };
}
