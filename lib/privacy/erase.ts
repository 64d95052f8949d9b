import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { affectedRows, queryRows, type Executor } from "@/db/client";
import { toArray } from "@/db/sql";
import { smtpSubmissions } from "@/db/schema";
import { operatorId } from "@/lib/access/actor";
import type { Ctx } from "@/lib/access/context";
import { authorize } from "@/lib/access/policy";
import { recordAudit } from "@/lib/audit/record";
import { invalidInput } from "@/lib/errors";
import { normalizedOrRefuse } from "./holdings";
import { bytesMention, mentions, scrubbedBytes, scrubbedJson, scrubbedText, scrubOf, type Scrub } from "./scrub";

export type Erasure = { contacts: number; deliveries: number; events: number; departments: number; storedMessages: number; auditMentions: number };

/**
 * Erases one address (个人信息删除), in one transaction: its contacts in every department go (with
 * their pool memberships, kept counted in step, tags and search rows); its deliveries keep their
 * rows, statuses and counts but their address becomes the erased placeholder and their events lose
 * IP, user agent and auto-reply text; every other mention (stored mail, API and webhook payloads,
 * import reports, task names, the operation log) has the address replaced by its key. Each
 * department that held it keeps the key as a suppression, so a later import, send, message or SMTP
 * submission to it is still suppressed. Rollups hold counts and domains only and are not touched.
 * `confirm` must repeat the address: the console asks for it, so no erasure happens by one click.
 */
export async function eraseAddress(ctx: Ctx, input: { email: string; confirm: string }): Promise<Erasure> {
  authorize(ctx.actor, "privacy.manage");
  const email = normalizedOrRefuse(input.email);
  const confirmed = input.confirm.trim() !== "" && normalizeSafely(input.confirm) === email;
  if (!confirmed) throw invalidInput("erasureNotConfirmed", { field: "confirm" });
  const scrub = scrubOf(email);
  return ctx.db.transaction(async (tx) => {
    const departments = await departmentsHolding(tx, email);
    const contacts = await deleteContacts(tx, email);
    const { deliveries, events, taskIds } = await redactDeliveries(tx, scrub);
    await suppressByKey(tx, scrub, departments, operatorId(ctx.actor));
    const storedMessages = await scrubStored(tx, scrub, taskIds);
    const auditMentions = affectedRows(
      await tx.execute(sql`update audit_log set object_id = ${scrubbedText(scrub, sql`object_id`)}, summary = ${scrubbedText(scrub, sql`summary`)},
            summary_params = ${scrubbedJson(scrub, sql`summary_params`)}, details = ${scrubbedJson(scrub, sql`details`)}
          where ${mentions(scrub, sql`concat_ws(' ', object_id, summary, summary_params::text, details::text)`)}`),
    );
    const erasure = { contacts, deliveries, events, departments: departments.length, storedMessages, auditMentions };
    // Named by its key, never the address: the operation log must not bring back what it records erasing.
    await recordAudit(tx, ctx.actor, {
      action: "privacy.erase",
      objectType: "address",
      objectId: scrub.key,
      summary: { key: "privacy.erase", params: { contacts, deliveries, departments: departments.length } },
      details: { ...erasure, departmentIds: departments },
    });
    return erasure;
  });
}

function normalizeSafely(text: string): string | null {
  try {
    return normalizedOrRefuse(text);
  } catch {
    return null;
  }
}

async function departmentsHolding(tx: Executor, email: string): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`select department_id as id from contacts where email = ${email}
        union select department_id from deliveries where email = ${email}
        union select department_id from suppressions where email = ${email}
        union select department_id from auxiliary_mail where email = ${email}`,
  );
  return rows.map((row) => row.id).sort();
}

/** Deletes the contacts, taking them out of their pools with the pools' counts moved in step (as lib/pools does). */
async function deleteContacts(tx: Executor, email: string): Promise<number> {
  const ids = (await queryRows<{ id: string | number }>(tx, sql`select id from contacts where email = ${email} for update`)).map((row) => Number(row.id));
  if (ids.length > 0) {
    await tx.execute(sql`update pools p set contact_count = greatest(p.contact_count - m.n, 0), updated_at = now()
      from (select pool_id, count(*)::int as n from pool_members where contact_id = any(${toArray(ids)}::bigint[]) group by pool_id) m where p.id = m.pool_id`);
    await tx.execute(sql`delete from pool_members where contact_id = any(${toArray(ids)}::bigint[])`);
    // contact_search and contact_tags go with the contact (foreign keys, on delete cascade).
    await tx.execute(sql`delete from contacts where id = any(${toArray(ids)}::bigint[])`);
  }
  // Other contacts that mention the address: a typo suggestion pointing at it, an attribute or name holding it.
  await tx.execute(sql`update contacts set hygiene_suggestion = null where hygiene_suggestion = ${email}`);
  return ids.length;
}

/**
 * The address of each delivery becomes its placeholder (unique per task as the address was, the
 * recipient domain kept for the rollups of later feedback), the contact link, the phone number an
 * SMS went to and the reply text lose it; events lose IP and user agent, replies (automatic, or by
 * SMS and WhatsApp) their text, and any other mention.
 */
async function redactDeliveries(tx: Executor, scrub: Scrub): Promise<{ deliveries: number; events: number; taskIds: string[] }> {
  const rows = await queryRows<{ id: string | number; task_id: string }>(
    tx,
    sql`update deliveries set email = ${scrub.placeholder}, contact_id = null, address = null, error = ${scrubbedText(scrub, sql`error`)}, updated_at = now()
        where email = ${scrub.email} returning id, task_id`,
  );
  const ids = rows.map((row) => Number(row.id));
  const events = ids.length === 0 ? 0 : affectedRows(await tx.execute(redactEventsOf(sql`${toArray(ids)}::bigint[]`, scrub)));
  return { deliveries: ids.length, events, taskIds: [...new Set(rows.map((row) => row.task_id))] };
}

/** The events of some deliveries without what identifies a person: also what the retention job runs. */
export function redactEventsOf(deliveryIds: SQL, scrub?: Scrub): SQL {
  const stripped = sql`(case when type in ('auto_reply', 'replied') then detail - 'reply' - 'subject' else detail end) - 'ip' - 'userAgent'`;
  return sql`update delivery_events set detail = ${scrub ? scrubbedJson(scrub, stripped) : stripped}
             where delivery_id = any(${deliveryIds}) and (detail ?| array['ip', 'userAgent', 'reply', 'subject'] ${scrub ? sql`or ${mentions(scrub, sql`detail::text`)}` : sql``})`;
}

/** Each department that held the address suppresses its key instead of the address. */
async function suppressByKey(tx: Executor, scrub: Scrub, departments: string[], createdBy: string) {
  await tx.execute(sql`delete from suppressions where email = ${scrub.email}`);
  if (departments.length === 0) return;
  await tx.execute(sql`insert into suppressions (department_id, email, reason, note, created_by)
    select d, ${scrub.key}, 'erased', '', ${createdBy} from unnest(${toArray(departments)}::uuid[]) as d on conflict do nothing`);
}

/** Mail, payloads and records beside the ledger: deleted when they exist for the address alone, else the address replaced by its key. */
async function scrubStored(tx: Executor, scrub: Scrub, taskIds: string[]): Promise<number> {
  const { email } = scrub;
  let changed = 0;
  const run = async (statement: SQL) => (changed += affectedRows(await tx.execute(statement)));
  await run(sql`delete from outbox_messages where to_address = ${email}`);
  await run(sql`update outbox_messages set mime = ${scrubbedText(scrub, sql`mime`)}, subject = ${scrubbedText(scrub, sql`subject`)} where ${mentions(scrub, sql`concat_ws(' ', mime, subject)`)}`);
  await run(sql`delete from auxiliary_mail where email = ${email}`);
  await tx.execute(sql`delete from login_failures where lower(email) = lower(${email})`);
  await tx.execute(sql`delete from login_throttles where account = lower(${email})`);
  if (taskIds.length > 0) {
    const tasks = sql`${toArray(taskIds)}::uuid[]`;
    await run(sql`update messages set recipients = recipients - ${email}::text, data = ${scrubbedJson(scrub, sql`data`)}, answer = ${scrubbedJson(scrub, sql`answer`)},
                    subject = ${scrubbedText(scrub, sql`subject`)}, html = ${scrubbedText(scrub, sql`html`)}, text = ${scrubbedText(scrub, sql`text`)}
                  where task_id = any(${tasks})`);
    await run(sql`update task_links set url = ${scrubbedText(scrub, sql`url`)} where task_id = any(${tasks}) and ${mentions(scrub, sql`url`)}`);
    const submissions = await tx.select({ taskId: smtpSubmissions.taskId, raw: smtpSubmissions.raw }).from(smtpSubmissions).where(sql`${smtpSubmissions.taskId} = any(${tasks})`);
    for (const submission of submissions.filter((row) => bytesMention(scrub, row.raw))) {
      await tx.execute(sql`update smtp_submissions set raw = ${scrubbedBytes(scrub, submission.raw)} where task_id = ${submission.taskId}`);
      changed++;
    }
  }
  await scrubGroupPosts(tx, scrub, run);
  await run(sql`update tasks set name = ${scrubbedText(scrub, sql`name`)}, note = ${scrubbedText(scrub, sql`note`)} where ${mentions(scrub, sql`concat_ws(' ', name, note)`)}`);
  await run(sql`update webhook_messages set payload = ${scrubbedJson(scrub, sql`payload`)}, last_response = ${scrubbedText(scrub, sql`last_response`)}
                where ${mentions(scrub, sql`concat_ws(' ', payload::text, last_response)`)}`);
  await run(sql`update import_errors set value = ${scrubbedText(scrub, sql`value`)}, params = ${scrubbedJson(scrub, sql`params`)} where ${mentions(scrub, sql`concat_ws(' ', value, params::text)`)}`);
  await run(sql`update imports set preview = ${scrubbedJson(scrub, sql`preview`)}, hygiene = ${scrubbedJson(scrub, sql`hygiene`)}
                where ${mentions(scrub, sql`concat_ws(' ', preview::text, hygiene::text)`)}`);
  await run(sql`update notifications set params = ${scrubbedJson(scrub, sql`params`)} where ${mentions(scrub, sql`params::text`)}`);
  await run(sql`update contacts set name = ${scrubbedText(scrub, sql`name`)}, attributes = ${scrubbedJson(scrub, sql`attributes`)}, search_pending = true
                where ${mentions(scrub, sql`concat_ws(' ', name, attributes::text)`)}`);
  await run(sql`update contact_search set search_text = ${scrubbedText(scrub, sql`search_text`)} where ${mentions(scrub, sql`search_text`)}`);
  return changed;
}

/**
 * A group archive: the person's own posts are deleted; a post that quotes or names them keeps its
 * text with the address replaced by its key (its bytes too, found by the text read from them or,
 * for an address only in a header, a search of the bytes). Their place on a moderator or always-allowed list goes.
 */
async function scrubGroupPosts(tx: Executor, scrub: Scrub, run: (statement: SQL) => Promise<number>) {
  const { email } = scrub;
  await run(sql`delete from group_posts where from_address = ${email}`);
  await run(sql`update groups set moderators = moderators - ${email}::text, allowed_posters = allowed_posters - ${email}::text, updated_at = now()
                where moderators ? ${email} or allowed_posters ? ${email}`);
  const posts = await queryRows<{ id: string; raw: Buffer | Uint8Array }>(
    tx,
    sql`select id, raw from group_posts where ${mentions(scrub, sql`concat_ws(' ', subject, body_text, from_name)`)} or strpos(lower(encode(raw, 'escape')), ${email}) > 0`,
  );
  for (const post of posts) {
    const raw = Buffer.from(post.raw);
    await run(sql`update group_posts set subject = ${scrubbedText(scrub, sql`subject`)}, body_text = ${scrubbedText(scrub, sql`body_text`)}, from_name = ${scrubbedText(scrub, sql`from_name`)},
                    raw = ${bytesMention(scrub, raw) ? scrubbedBytes(scrub, raw) : raw} where id = ${post.id}`);
  }
}
