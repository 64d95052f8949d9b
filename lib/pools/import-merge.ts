import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { queryRows, type Transaction } from "@/db/client";
import { CONTACT_CHANNELS } from "@/db/schema";
import type { BatchTarget } from "./import";
import { tagLinks } from "./import-tags";
import { searchTextOf } from "./search";

/**
 * One statement: upsert the contacts (returning every id, existing ones too), link them to the
 * pool, and count what was new in the pool and, when updating, what changed against the rows as
 * they were. Rows go in in address order: the unique index is written with far better locality
 * (68k against 40k rows/s on Postgres), and concurrent batches that share addresses lock them in
 * the same order.
 */
export async function mergeContacts(tx: Transaction, options: BatchTarget, source: SQL): Promise<{ imported: number; updated: number }> {
  const input = sql`input as (${source})`;
  const inPass = options.indexInPass === true;
  // Only a batch that names tags links them (tagAll is set, perhaps empty, exactly then).
  const tagged = options.tagAll ? tagLinks(options.departmentId, options.tagAll) : sql``;
  // Flags from the address itself are the same each time it is imported; no_mx comes from DNS
  // after the import and stays until DNS says otherwise.
  const hygieneSet = sql`hygiene = case when 'no_mx' = any(contacts.hygiene) then excluded.hygiene || '{no_mx}'::text[] else excluded.hygiene end,
            hygiene_suggestion = excluded.hygiene_suggestion`;
  const link = sql`linked as (
    insert into pool_members (pool_id, contact_id) select ${options.poolId}::uuid, id from upserted
    on conflict do nothing returning 1)`;
  // Contacts whose search text is new (all of them when updating, else those just inserted: xmax
  // is 0 on a row version this statement created) get their search row in the same statement.
  const indexed = (which: SQL) =>
    inPass
      ? sql`, searched as (
          insert into contact_search (contact_id, department_id, search_text)
          select id, ${options.departmentId}::uuid, ${searchTextOf(sql`email`, sql`name`, sql`attributes`, sql`phone`)} from upserted ${which}
          on conflict (contact_id) do update set search_text = excluded.search_text, department_id = excluded.department_id)`
      : sql``;
  const [counts] = await queryRows<{ imported: number; updated: number }>(
    tx,
    options.updateExisting
      ? sql`
        with ${input}, before as (
          select contacts.id, contacts.name, contacts.attributes, contacts.phone, contacts.wecom_user_id, contacts.channel_consent from contacts join input using (email)
          where contacts.department_id = ${options.departmentId}::uuid
        ), upserted as (
          insert into contacts (department_id, email, name, attributes, hygiene, hygiene_suggestion, search_pending, phone, channel_consent, wecom_user_id)
          select ${options.departmentId}::uuid, email, name, attributes, coalesce(hygiene, '{}'), suggestion, ${!inPass}, phone, coalesce(consent, '{}'), wecom from input order by email
          on conflict (department_id, email) do update set
            ${hygieneSet},
            name = case when excluded.name <> '' then excluded.name else contacts.name end,
            attributes = contacts.attributes || excluded.attributes,
            phone = coalesce(excluded.phone, contacts.phone),
            wecom_user_id = coalesce(excluded.wecom_user_id, contacts.wecom_user_id),
            channel_consent = ${consentUnion(sql`contacts.channel_consent`, sql`excluded.channel_consent`)},
            search_pending = ${!inPass},
            updated_at = now()
          returning id, email, name, attributes, phone, wecom_user_id, channel_consent
        ), ${link}${indexed(sql``)}${tagged}
        select (select count(*) from linked)::int as imported,
          (select count(*) from upserted join before using (id)
            where (upserted.name, upserted.attributes, upserted.phone, upserted.wecom_user_id, upserted.channel_consent)
              is distinct from (before.name, before.attributes, before.phone, before.wecom_user_id, before.channel_consent))::int as updated`
      : sql`
        with ${input}, upserted as (
          insert into contacts (department_id, email, name, attributes, hygiene, hygiene_suggestion, search_pending, phone, channel_consent, wecom_user_id)
          select ${options.departmentId}::uuid, email, name, attributes, coalesce(hygiene, '{}'), suggestion, ${!inPass}, phone, coalesce(consent, '{}'), wecom from input order by email
          on conflict (department_id, email) do update set email = excluded.email, ${hygieneSet}
          returning id, email${inPass ? sql`, name, attributes, phone, xmax = 0 as inserted` : sql``}
        ), ${link}${indexed(sql`where inserted`)}${tagged}
        select (select count(*) from linked)::int as imported, 0 as updated`,
  );
  return counts!;
}

/** Two consent lists as one, each channel once, in CONTACT_CHANNELS order as consentList keeps them (so an unchanged list compares equal). */
export function consentUnion(left: SQL, right: SQL): SQL {
  const order = sql.raw(`array[${CONTACT_CHANNELS.map((channel) => `'${channel}'`).join(", ")}]::text[]`);
  return sql`array(select c from unnest(${order}) as c where c = any(${left} || ${right}) order by array_position(${order}, c))`;
}
