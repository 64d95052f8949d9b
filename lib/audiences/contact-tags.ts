import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { queryRows, type Transaction } from "@/db/client";
import { contactTags, contacts } from "@/db/schema";
import { authorize } from "@/lib/access/policy";
import type { Ctx } from "@/lib/access/context";
import { recordAudit } from "@/lib/audit/record";
import type { AuditSummary } from "@/lib/i18n/audit-summaries-en";
import { conflict, invalidInput, notFound } from "@/lib/errors";
import { MAX_BULK_CONTACTS } from "@/lib/pools/contact-limits";
import { contactConditions, resolveScope, type ContactFilters } from "@/lib/pools/contacts";
import { checkTagNames } from "@/lib/pools/tag-names";
import { ensureTags, tagIdsNamed } from "@/lib/pools/tag-vocabulary";
import { tagAddedEnrolments } from "@/lib/triggers/enrol";

/*
 * Tags put on and taken off contacts (decision 0077): one contact, a list of ids, or every contact
 * of a pool the contacts page's search matches (lib/pools/contacts.ts contactConditions, the same
 * conditions its count and its bulk actions use). Whatever the number of contacts, the change is
 * one statement; a name not yet in the vocabulary is added to it first.
 */

export type TagChange = { add?: readonly string[]; remove?: readonly string[] };
export type TagSearch = Pick<ContactFilters, "q" | "status" | "tag">;
export type TagTarget =
  | { contactIds: readonly number[]; departmentId?: string | null }
  /** `expected`: how many the page said match; the change is refused (and undone) when the search now matches another number. */
  | { poolId: string; search: TagSearch; expected?: number };

export type TagChangeResult = { contacts: number; added: number; removed: number; created: string[] };

function namesOf(values: readonly string[] | undefined, field: "add" | "remove"): string[] {
  const checked = checkTagNames(values ?? []);
  if (!checked.ok) throw invalidInput(checked.reason, { field, params: checked.params });
  return checked.names;
}

const idList = (ids: readonly number[]) => sql`(select value::bigint from jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`;

/**
 * The contacts named by id, checked: an id of a department the caller may not manage is refused
 * (403), one that does not exist is not found, and ids of two departments (an admin's) are refused;
 * nothing has changed then.
 */
async function contactsById(ctx: Ctx, tx: Transaction, ids: readonly number[], requested?: string | null): Promise<{ departmentId: string; targets: SQL }> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) throw invalidInput("nothingSelected", { field: "contactIds" });
  if (wanted.length > MAX_BULK_CONTACTS) throw invalidInput("tooManyAddresses", { field: "contactIds", params: { max: MAX_BULK_CONTACTS } });
  const rows = await queryRows<{ departmentId: string }>(tx, sql`select distinct department_id as "departmentId" from ${contacts} where id in ${idList(wanted)}`);
  for (const row of rows) authorize(ctx.actor, "pools.manage", { departmentId: row.departmentId });
  const own = requested ?? (ctx.actor.role === "department" ? ctx.actor.departmentId : null);
  if (rows.length > 1 || (own && rows[0] && rows[0].departmentId !== own)) throw invalidInput("contactsOfSeveralDepartments", { field: "contactIds" });
  const departmentId = rows[0]?.departmentId;
  if (!departmentId) throw notFound("contact");
  const [found] = await queryRows<{ n: number }>(tx, sql`select count(*)::int as n from ${contacts} where id in ${idList(wanted)}`);
  if (Number(found?.n) !== wanted.length) throw notFound("contact");
  return { departmentId, targets: sql`select id from ${contacts} where id in ${idList(wanted)} and department_id = ${departmentId}` };
}

/** Adds and removes tags on the target's contacts; answers how many contacts, links added and removed, and names created. */
export async function changeContactTags(ctx: Ctx, target: TagTarget, change: TagChange): Promise<TagChangeResult> {
  const add = namesOf(change.add, "add");
  const remove = namesOf(change.remove, "remove");
  if (add.length === 0 && remove.length === 0) throw invalidInput("nothingToTag", { field: "add" });
  const both = remove.find((name) => add.some((other) => other.toLowerCase() === name.toLowerCase()));
  if (both) throw invalidInput("tagAddedAndRemoved", { field: "remove", params: { name: both } });
  return ctx.db.transaction(async (tx) => {
    const scope =
      "contactIds" in target
        ? await contactsById(ctx, tx, target.contactIds, target.departmentId)
        : await (async () => {
            const { departmentId, condition } = await resolveScope({ ...ctx, db: tx }, { poolId: target.poolId });
            return { departmentId, targets: sql`select ${contacts.id} from ${contacts} where ${contactConditions(departmentId, condition, target.search)}` };
          })();
    const created = await ensureTags(tx, scope.departmentId, add);
    const [counts] = await queryRows<{ contacts: number; added: number; removed: number }>(
      tx,
      sql`with targets as (${scope.targets}),
          added as (
            insert into ${contactTags} (tag_id, contact_id)
            select named.id, targets.id from targets cross join ${tagIdsNamed(scope.departmentId, add)} as named
            on conflict do nothing returning tag_id, contact_id
          ), enrolled as (
            ${tagAddedEnrolments(scope.departmentId, sql`added`)}
          ), removed as (
            delete from ${contactTags} where tag_id in ${tagIdsNamed(scope.departmentId, remove)} and contact_id in (select id from targets) returning 1
          )
          select (select count(*) from targets)::int as contacts, (select count(*) from added)::int as added, (select count(*) from removed)::int as removed`,
    );
    const result = { contacts: Number(counts!.contacts), added: Number(counts!.added), removed: Number(counts!.removed), created };
    if ("search" in target && target.expected !== undefined && result.contacts !== target.expected) {
      throw conflict("searchChanged", { field: "expected", params: { matched: result.contacts, expected: target.expected }, details: { matched: result.contacts } });
    }
    await recordAudit(tx, ctx.actor, {
      action: "contact.tag",
      ...auditObject(target, scope.departmentId),
      summary: auditSummary(target, result, add, remove),
      details: { add, remove, created, ...("contactIds" in target ? { ids: target.contactIds.slice(0, 1000) } : { search: target.search }) },
    });
    return result;
  });
}

function auditObject(target: TagTarget, departmentId: string) {
  if ("poolId" in target) return { objectType: "pool", objectId: target.poolId, departmentId };
  return target.contactIds.length === 1 ? { objectType: "contact", objectId: String(target.contactIds[0]), departmentId } : { objectType: "department", objectId: departmentId, departmentId };
}

function auditSummary(target: TagTarget, result: TagChangeResult, add: string[], remove: string[]): AuditSummary {
  const params = { contacts: result.contacts, added: result.added, removed: result.removed, add: add.join(", ") || "—", remove: remove.join(", ") || "—" };
  if (!("search" in target)) return { key: "contact.tag", params };
  const { q, status, tag } = target.search;
  const notes: AuditSummary["notes"] = q || status || tag ? [q && "matching", status && "withStatus", tag && "withTag"] : ["everyAddress"];
  return { key: "contact.tag", params: { ...params, q: q ?? null, contactStatus: status ?? null, tag: tag ?? null }, notes };
}
