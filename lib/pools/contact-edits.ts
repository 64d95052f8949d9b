import "server-only";
import { withErasedKeys } from "@/lib/addresses/erased";
import { and, eq, inArray, sql, type SQL } from "drizzle-orm";
import { affectedRows, queryRows, type Transaction } from "@/db/client";
import { contacts, poolMembers, pools, suppressions, type ContactStatus, type SuppressionReason } from "@/db/schema";
import { operatorId } from "@/lib/access/actor";
import { authorize } from "@/lib/access/policy";
import { recordAudit } from "@/lib/audit/record";
import type { AuditSummary, AuditSummaryValue } from "@/lib/i18n/audit-summaries-en";
import type { Ctx } from "@/lib/access/context";
import { conflict, invalidInput, notFound } from "@/lib/errors";
import { normalizeAddress } from "@/lib/addresses/normalize";
import { MAX_ATTRIBUTE_KEY, MAX_ATTRIBUTE_VALUE, MAX_ATTRIBUTES, MAX_BULK_CONTACTS, MAX_NAME } from "./contact-limits";
import { contactConditions } from "./contacts";
import { hygieneColumns } from "./hygiene/flags";
import { loadPool, type PoolView } from "./pools";
import { checkChannelFields, type ChannelFields } from "./contact-channels";
import { readPhoneRegion } from "@/lib/accounts/settings";

/** 地址维护: one contact added, edited, deleted, unsubscribed or resubscribed by hand, or a selection of them at once. */

export type AttributeRow = { key: string; value: string };
/** Channel fields left out (undefined) are kept as they are; given, they replace what the contact had. */
export type ContactFields = { name: string; attributes: AttributeRow[]; phone?: string; wecomUserId?: string; channelConsent?: string[] };

/** The channel columns a form changes: each one given, checked (lib/pools/contact-channels.ts). */
function channelColumns(input: ContactFields, region: string): Partial<ChannelFields> {
  const checked = checkChannelFields(input, region);
  return {
    ...(input.phone !== undefined ? { phone: checked.phone } : {}),
    ...(input.wecomUserId !== undefined ? { wecomUserId: checked.wecomUserId } : {}),
    ...(input.channelConsent !== undefined ? { channelConsent: checked.channelConsent } : {}),
  };
}

/** Which rows a bulk action covers: ids ticked on the page, or every row the search matches (as many as the page said). */
export type ContactSelection = { ids: number[] } | { search: { q?: string; status?: ContactStatus; tag?: string }; expected: number };

/** Attribute rows as typed → the stored object; empty rows are dropped, a value without a key or a key twice is refused. */
export function attributesFrom(rows: AttributeRow[]): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const row of rows) {
    const key = row.key.trim();
    const value = row.value.trim();
    if (key === "" && value === "") continue;
    if (key === "") throw invalidInput("attributeWithoutName", { field: "attributes", params: { value: value.slice(0, 40) } });
    if (key.length > MAX_ATTRIBUTE_KEY || value.length > MAX_ATTRIBUTE_VALUE) {
      throw invalidInput("attributeTooLong", { field: "attributes", params: { name: key.slice(0, 40), maxName: MAX_ATTRIBUTE_KEY, maxValue: MAX_ATTRIBUTE_VALUE } });
    }
    if (key in attributes) throw invalidInput("attributeTwice", { field: "attributes", params: { name: key } });
    if (value !== "") attributes[key] = value;
  }
  if (Object.keys(attributes).length > MAX_ATTRIBUTES) throw invalidInput("tooManyAttributes", { field: "attributes", params: { max: MAX_ATTRIBUTES } });
  return attributes;
}

const inPool = (poolId: string): SQL =>
  sql`exists (select 1 from ${poolMembers} where ${poolMembers.poolId} = ${poolId} and ${poolMembers.contactId} = ${contacts.id})`;

/**
 * Adds one address to the pool. Its case does not matter (addresses are stored lower-cased), so
 * an address already in the pool in any case is refused naming that contact. An address the
 * department already has in another pool or none joins this pool as it is: its name and
 * attributes are not overwritten (the result says so). A suppressed address is added as imports
 * add it, and the answer and the list show it as suppressed; sending skips it.
 */
export async function addContact(ctx: Ctx, poolId: string, input: { email: string } & ContactFields) {
  const checked = normalizeAddress(input.email);
  if (!checked.ok) throw invalidInput(checked.reason, { field: "email", params: checked.params });
  const attributes = attributesFrom(input.attributes);
  const name = input.name.trim().slice(0, MAX_NAME);
  const channels = channelColumns(input, await readPhoneRegion(ctx.db));
  return ctx.db.transaction(async (tx) => {
    const pool = await loadPool({ ...ctx, db: tx }, poolId, { forUpdate: true });
    const [existing] = await tx
      .select({ id: contacts.id, email: contacts.email, name: contacts.name, member: sql<boolean>`${inPool(pool.id)}` })
      .from(contacts)
      .where(and(eq(contacts.departmentId, pool.departmentId), eq(contacts.email, checked.email)));
    if (existing?.member) {
      throw conflict("contactAlreadyInPool", { field: "email", params: { id: existing.id, email: existing.email, name: existing.name ? ` “${existing.name}”` : "" } });
    }
    const id =
      existing?.id ??
      (await tx.insert(contacts).values({ departmentId: pool.departmentId, email: checked.email, name, attributes, ...channels, ...hygieneColumns(checked.email) }).returning({ id: contacts.id }))[0]!.id;
    await tx.insert(poolMembers).values({ poolId: pool.id, contactId: id });
    await tx.update(pools).set({ contactCount: sql`${pools.contactCount} + 1`, updatedAt: new Date() }).where(eq(pools.id, pool.id));
    const [suppressed] = await tx
      .select({ reason: suppressions.reason })
      .from(suppressions)
      .where(and(eq(suppressions.departmentId, pool.departmentId), inArray(suppressions.email, withErasedKeys([checked.email]))));
    await recordAudit(tx, ctx.actor, {
      action: "contact.add",
      objectType: "contact",
      objectId: String(id),
      departmentId: pool.departmentId,
      summary: {
        key: "contact.add",
        params: { email: checked.email, pool: pool.name, reason: suppressed?.reason ?? null },
        notes: [existing && "alreadyContact", suppressed && "suppressedAs"],
      },
      details: existing ? undefined : { phone: channels.phone ?? null, wecomUserId: channels.wecomUserId ?? null, channelConsent: channels.channelConsent ?? [] },
    });
    return { id, email: checked.email, existing: Boolean(existing), suppressed: (suppressed?.reason ?? null) as SuppressionReason | null };
  });
}

type ContactRow = { id: number; email: string; name: string; attributes: Record<string, string>; status: ContactStatus; departmentId: string } & ChannelFields;

/**
 * The contacts of `ids` in the pool, locked. Any id of another department is refused as every
 * other action refuses it (forbidden); an id that does not exist or is not in this pool is not
 * found. Either way nothing has changed.
 */
async function lockMembers(ctx: Ctx, tx: Transaction, pool: PoolView, ids: number[]): Promise<ContactRow[]> {
  if (ids.length === 0) throw invalidInput("nothingSelected", { field: "ids" });
  const wanted = [...new Set(ids)];
  const rows = await queryRows<ContactRow & { member: boolean }>(
    tx,
    sql`select id::float8 as id, email, name, attributes, status, department_id as "departmentId", phone, wecom_user_id as "wecomUserId",
          channel_consent as "channelConsent", ${inPool(pool.id)} as member
        from ${contacts} where id in (select value::bigint from jsonb_array_elements_text(${JSON.stringify(wanted)}::jsonb))
        order by id for update`,
  );
  for (const row of rows) authorize(ctx.actor, "pools.manage", { departmentId: row.departmentId });
  if (rows.length !== wanted.length || rows.some((row) => !row.member || row.departmentId !== pool.departmentId)) throw notFound("contact");
  return rows.map(({ member: _member, ...row }) => ({ ...row, id: Number(row.id) }));
}

/** The ids a selection covers, checked: ticked ids must all be the pool's; a search must still match as many as the page showed. */
async function selectedIds(ctx: Ctx, tx: Transaction, pool: PoolView, selection: ContactSelection): Promise<number[]> {
  if ("ids" in selection) {
    if (selection.ids.length > MAX_BULK_CONTACTS) throw invalidInput("tooManyAddresses", { field: "ids", params: { max: MAX_BULK_CONTACTS } });
    return (await lockMembers(ctx, tx, pool, selection.ids)).map((row) => row.id);
  }
  const rows = await tx
    .select({ id: contacts.id })
    .from(contacts)
    .where(contactConditions(pool.departmentId, inPool(pool.id), selection.search))
    .orderBy(contacts.id)
    .limit(MAX_BULK_CONTACTS + 1);
  if (rows.length > MAX_BULK_CONTACTS) throw invalidInput("searchTooBroad", { field: "q", params: { max: MAX_BULK_CONTACTS } });
  if (rows.length !== selection.expected) {
    throw conflict("searchChanged", { field: "expected", params: { matched: rows.length, expected: selection.expected }, details: { matched: rows.length } });
  }
  return rows.map((row) => Number(row.id));
}

const idList = (ids: number[]) => sql`(select value::bigint from jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`;

/** How many of the pool's contacts the search covers: the count a bulk action on it confirms. */
export async function countMatching(ctx: Ctx, poolId: string, search: { q?: string; status?: ContactStatus; tag?: string }) {
  const pool = await loadPool(ctx, poolId);
  const [row] = await ctx.db
    .select({ count: sql<number>`count(*)::int` })
    .from(contacts)
    .where(contactConditions(pool.departmentId, inPool(pool.id), search));
  return Number(row?.count ?? 0);
}

/**
 * Changes a contact's name and attributes (the rows given replace the ones it had), and its phone,
 * WeCom id and consent when given. Its address stays.
 */
export async function updateContact(ctx: Ctx, poolId: string, contactId: number, input: ContactFields) {
  const attributes = attributesFrom(input.attributes);
  const name = input.name.trim().slice(0, MAX_NAME);
  const channels = channelColumns(input, await readPhoneRegion(ctx.db));
  return ctx.db.transaction(async (tx) => {
    const pool = await loadPool({ ...ctx, db: tx }, poolId);
    const [contact] = await lockMembers(ctx, tx, pool, [contactId]);
    await tx.update(contacts).set({ name, attributes, ...channels, searchPending: true, updatedAt: new Date() }).where(eq(contacts.id, contact!.id));
    const before = { phone: contact!.phone, wecomUserId: contact!.wecomUserId, channelConsent: contact!.channelConsent };
    await recordAudit(tx, ctx.actor, {
      action: "contact.update",
      objectType: "contact",
      objectId: String(contact!.id),
      departmentId: pool.departmentId,
      summary: { key: "contact.update", params: { email: contact!.email, pool: pool.name, name, attributes: Object.keys(attributes).length } },
      details: { before: { name: contact!.name, attributes: contact!.attributes, ...before }, after: { name, attributes, ...before, ...channels } },
    });
    return { id: contact!.id };
  });
}

/**
 * Removes the selected contacts from the pool, and deletes those that are then in no pool at all
 * (a contact still in another pool of the department stays there). Their suppression entries stay.
 */
export async function deleteContacts(ctx: Ctx, poolId: string, selection: ContactSelection) {
  return ctx.db.transaction(async (tx) => {
    const pool = await loadPool({ ...ctx, db: tx }, poolId, { forUpdate: true });
    const ids = await selectedIds(ctx, tx, pool, selection);
    const [counts] = await queryRows<{ removed: number; deleted: number }>(
      tx,
      sql`with removed as (
            delete from ${poolMembers} where pool_id = ${pool.id} and contact_id in ${idList(ids)} returning contact_id
          ), gone as (
            delete from ${contacts} using removed where ${contacts.id} = removed.contact_id and ${contacts.departmentId} = ${pool.departmentId}
              and not exists (select 1 from ${poolMembers} other where other.contact_id = ${contacts.id} and other.pool_id <> ${pool.id})
            returning 1
          )
          select (select count(*) from removed)::int as removed, (select count(*) from gone)::int as deleted`,
    );
    const removed = Number(counts!.removed);
    const deleted = Number(counts!.deleted);
    await tx.update(pools).set({ contactCount: sql`greatest(${pools.contactCount} - ${removed}, 0)`, updatedAt: new Date() }).where(eq(pools.id, pool.id));
    await recordAudit(tx, ctx.actor, {
      action: "contact.delete",
      ...selectionObject(pool, selection, ids),
      summary: { key: "contact.delete", params: { count: removed, pool: pool.name, kept: removed - deleted, ...selectionParams(selection) }, notes: selectionNotes(selection) },
    });
    return { removed, deleted };
  });
}

/**
 * Unsubscribes the selected contacts as a recipient's own unsubscribe does (lib/pools/subscribe.ts):
 * the department stops sending to the address (suppressed as unsubscribed) and the contact is
 * marked unsubscribed. A contact already bounced or complained keeps that status; it is suppressed already.
 */
export async function unsubscribeContacts(ctx: Ctx, poolId: string, selection: ContactSelection) {
  return ctx.db.transaction(async (tx) => {
    const pool = await loadPool({ ...ctx, db: tx }, poolId, { forUpdate: true });
    const ids = await selectedIds(ctx, tx, pool, selection);
    const suppressed = affectedRows(
      await tx.execute(sql`
        insert into ${suppressions} (department_id, email, reason, created_by)
        select ${pool.departmentId}, email, 'unsubscribed', ${operatorId(ctx.actor)} from ${contacts}
        where id in ${idList(ids)} and department_id = ${pool.departmentId}
        on conflict do nothing`),
    );
    const marked = affectedRows(
      await tx.execute(sql`
        update ${contacts} set status = 'unsubscribed', updated_at = now()
        where id in ${idList(ids)} and department_id = ${pool.departmentId} and status in ('active', 'pending')`),
    );
    await recordAudit(tx, ctx.actor, {
      action: "contact.unsubscribe",
      ...selectionObject(pool, selection, ids),
      summary: { key: "contact.unsubscribe", params: { count: marked, pool: pool.name, suppressed, ...selectionParams(selection) }, notes: selectionNotes(selection) },
    });
    return { unsubscribed: marked, suppressed };
  });
}

/**
 * Takes back an unsubscribe: the contact is active again and its `unsubscribed` suppression is
 * lifted. A hard bounce, complaint or manual suppression is not lifted here: the call is refused
 * naming the reason, and the suppression list is the place to remove it (with a reason).
 */
export async function resubscribeContact(ctx: Ctx, poolId: string, contactId: number) {
  return ctx.db.transaction(async (tx) => {
    const pool = await loadPool({ ...ctx, db: tx }, poolId);
    const [contact] = await lockMembers(ctx, tx, pool, [contactId]);
    const [suppression] = await tx
      .select({ reason: suppressions.reason })
      .from(suppressions)
      .where(and(eq(suppressions.departmentId, pool.departmentId), eq(suppressions.email, contact!.email)));
    if (suppression && suppression.reason !== "unsubscribed") {
      throw conflict("stillSuppressed", { params: { email: contact!.email, reason: suppression.reason }, details: { reason: suppression.reason } });
    }
    if (contact!.status === "bounced" || contact!.status === "complained") {
      throw conflict("notUnsubscribed", { params: { email: contact!.email, status: contact!.status }, details: { reason: contact!.status } });
    }
    if (suppression) {
      await tx.delete(suppressions).where(and(eq(suppressions.departmentId, pool.departmentId), eq(suppressions.email, contact!.email)));
    }
    if (contact!.status === "unsubscribed") {
      await tx.update(contacts).set({ status: "active", updatedAt: new Date() }).where(eq(contacts.id, contact!.id));
    }
    await recordAudit(tx, ctx.actor, {
      action: "contact.resubscribe",
      objectType: "contact",
      objectId: String(contact!.id),
      departmentId: pool.departmentId,
      summary: { key: "contact.resubscribe", params: { email: contact!.email, pool: pool.name }, notes: [suppression && "removedFromSuppression"] },
    });
    return { id: contact!.id, liftedSuppression: Boolean(suppression) };
  });
}

/** What an action on a selection names in the operation log: the contact when one was chosen, else the pool, with the ids (the first 1,000). */
function selectionObject(pool: PoolView, selection: ContactSelection, ids: number[]) {
  const one = "ids" in selection && ids.length === 1;
  return { objectType: one ? "contact" : "pool", objectId: one ? String(ids[0]) : pool.id, departmentId: pool.departmentId, details: { ids: ids.slice(0, 1000) } };
}

function selectionParams(selection: ContactSelection): Record<string, AuditSummaryValue> {
  return "ids" in selection ? {} : { q: selection.search.q ?? null, contactStatus: selection.search.status ?? null, tag: selection.search.tag ?? null };
}

/** A bulk action on a search says which search; on the whole pool, that it was every address. */
function selectionNotes(selection: ContactSelection): AuditSummary["notes"] {
  if ("ids" in selection) return [];
  const { q, status, tag } = selection.search;
  return q || status || tag ? [q && "matching", status && "withStatus", tag && "withTag"] : ["everyAddress"];
}
