import "server-only";
import { and, asc, eq, gt, sql, type SQL } from "drizzle-orm";
import { contacts, CONTACT_STATUSES, contactTags, poolMembers, tags, type ContactChannel, type ContactStatus, type SuppressionReason } from "@/db/schema";
import { suppressionMatches } from "@/lib/addresses/erased";
import { authorize } from "@/lib/access/policy";
import { recordAudit } from "@/lib/audit/record";
import type { Ctx } from "@/lib/access/context";
import { invalidInput } from "@/lib/errors";
import { describeReason } from "@/lib/i18n/describe";
import { reasonsEn } from "@/lib/i18n/reasons-en";
import { addressProblemInEnglish, normalizeAddress } from "@/lib/addresses/normalize";
import { withHygiene, writeBatch, type Prepared, type PreparedContact } from "./import";
import { readPhoneRegion } from "@/lib/accounts/settings";
import { consentList } from "./contact-channels";
import { readPhoneCell } from "./phone-cell";
import { isHygieneFlag, type HygieneFlag } from "./hygiene/flags";
import { loadPool } from "./pools";
import { matchesDirectly, matchingIds } from "./search";
import { checkTagNames } from "./tag-names";

export const CONTACT_PAGE_SIZE = 50;
export const MAX_CONTACTS_PER_CALL = 10_000;

export type ContactFilters = { q?: string; status?: ContactStatus; hygiene?: HygieneFlag; tag?: string; cursor?: number; limit?: number };

/** Contacts carrying the department's tag of this name, in any case (decision 0077). */
function tagCondition(tag: string | undefined): SQL | undefined {
  const name = tag?.trim();
  if (!name) return undefined;
  return sql`exists (select 1 from ${contactTags} join ${tags} on ${tags.id} = ${contactTags.tagId}
    where ${contactTags.contactId} = ${contacts.id} and ${tags.departmentId} = ${contacts.departmentId} and lower(${tags.name}) = lower(${name}))`;
}

/**
 * A column of the listed contact, spelled out: drizzle writes a single-table select's columns
 * unqualified, which inside a subquery of that select would name the subquery's own table.
 */
const listed = (column: "id" | "department_id" | "email") => sql`${sql.identifier("contacts")}.${sql.identifier(column)}`;

/** A contact's tags, by name in alphabetical order. */
const tagNames = sql<string[]>`array(select t.name from contact_tags ct join tags t on t.id = ct.tag_id
  where ct.contact_id = ${listed("id")} order by lower(t.name) collate "C")`;

/** Contacts carrying a list-hygiene flag (lib/pools/hygiene/flags.ts). */
function hygieneCondition(flag: string | undefined): SQL | undefined {
  return flag && isHygieneFlag(flag) ? sql`${flag} = any(${contacts.hygiene})` : undefined;
}

/** Which contacts a listing covers: one pool, or the department's contacts in no pool. */
export type ContactScope = { poolId: string } | { uncategorised: string };

export async function resolveScope(ctx: Ctx, scope: ContactScope): Promise<{ departmentId: string; condition: SQL }> {
  if ("poolId" in scope) {
    const pool = await loadPool(ctx, scope.poolId);
    return {
      departmentId: pool.departmentId,
      condition: sql`exists (select 1 from ${poolMembers} where ${poolMembers.poolId} = ${pool.id} and ${poolMembers.contactId} = ${contacts.id})`,
    };
  }
  authorize(ctx.actor, "pools.manage", { departmentId: scope.uncategorised });
  return {
    departmentId: scope.uncategorised,
    condition: sql`not exists (select 1 from ${poolMembers} where ${poolMembers.contactId} = ${contacts.id})`,
  };
}

export function contactConditions(departmentId: string, scopeCondition: SQL, filters: ContactFilters) {
  const q = filters.q?.trim();
  return and(
    eq(contacts.departmentId, departmentId),
    scopeCondition,
    filters.status && (CONTACT_STATUSES as readonly string[]).includes(filters.status) ? eq(contacts.status, filters.status) : undefined,
    hygieneCondition(filters.hygiene),
    tagCondition(filters.tag),
    q ? matchesDirectly(q) : undefined,
  );
}

/**
 * Why a contact's address is suppressed in its department, or null. A scalar lookup rather than a
 * join: an address may have its own entry and, after an erasure, its erased key's (lib/addresses/erased.ts).
 * Built when a query is (the key reads the server secret, which a module must not do as it loads).
 */
export const suppressionReasonOfContact = () =>
  sql<SuppressionReason | null>`(select s.reason from suppressions s where s.department_id = ${listed("department_id")} and ${suppressionMatches(sql`s.email`, listed("email"))} limit 1)`;

const listColumns = () => ({
  id: contacts.id,
  email: contacts.email,
  name: contacts.name,
  attributes: contacts.attributes,
  status: contacts.status,
  hygiene: contacts.hygiene,
  hygieneSuggestion: contacts.hygieneSuggestion,
  phone: contacts.phone,
  wecomUserId: contacts.wecomUserId,
  channelConsent: contacts.channelConsent,
  createdAt: contacts.createdAt,
  suppressedReason: suppressionReasonOfContact(),
  tags: tagNames,
});

/** Rows a search looks through in id order before it asks the trigram index instead. */
const ORDERED_SCAN_BUDGET = 5_000;

/**
 * One page of contacts, by id (keyset): page 1,000 costs what page 1 costs. A pool's page is
 * read along its membership index. A search first walks the next rows in order (common terms
 * fill a page at once); when that is not enough it lets the trigram index find the rest (rare
 * terms are few), so neither kind scans the whole pool.
 */
export async function listContacts(ctx: Ctx, scope: ContactScope, filters: ContactFilters = {}) {
  const { departmentId, condition } = await resolveScope(ctx, scope);
  const limit = Math.min(Math.max(filters.limit ?? CONTACT_PAGE_SIZE, 1), 1000);
  const q = filters.q?.trim();
  const status = and(
    filters.status && (CONTACT_STATUSES as readonly string[]).includes(filters.status) ? eq(contacts.status, filters.status) : undefined,
    hygieneCondition(filters.hygiene),
    tagCondition(filters.tag),
  );
  const after = filters.cursor ?? 0;

  const page = async (from: number, extra: SQL | undefined, scanLimit?: number) => {
    if ("poolId" in scope) {
      const members = ctx.db
        .select({ contactId: poolMembers.contactId })
        .from(poolMembers)
        .where(and(eq(poolMembers.poolId, scope.poolId), gt(poolMembers.contactId, from)))
        .orderBy(asc(poolMembers.contactId))
        .limit(scanLimit ?? 2_147_483_647)
        .as("members");
      return ctx.db
        .select(listColumns())
        .from(members)
        .innerJoin(contacts, eq(contacts.id, members.contactId))
        // Repeats the members' bound on contacts, so with statistics the plan still starts at the cursor.
        .where(and(gt(contacts.id, from), status, extra))
        .orderBy(asc(contacts.id))
        .limit(limit + 1);
    }
    return ctx.db
      .select(listColumns())
      .from(contacts)
      .where(and(eq(contacts.departmentId, departmentId), condition, gt(contacts.id, from), status, extra))
      .orderBy(asc(contacts.id))
      .limit(limit + 1);
  };

  let rows = await page(after, q ? matchesDirectly(q) : undefined, q ? ORDERED_SCAN_BUDGET : undefined);
  if (q && rows.length <= limit) {
    // The ordered walk ran out of budget (or of rows): let the trigram index find the matches after it.
    const [walked] = await ctx.db
      .select({ last: sql<number | null>`max(contact_id)` })
      .from(
        ("poolId" in scope
          ? ctx.db
              .select({ contact_id: poolMembers.contactId })
              .from(poolMembers)
              .where(and(eq(poolMembers.poolId, scope.poolId), gt(poolMembers.contactId, after)))
              .orderBy(asc(poolMembers.contactId))
              .limit(ORDERED_SCAN_BUDGET)
          : ctx.db
              .select({ contact_id: contacts.id })
              .from(contacts)
              .where(and(eq(contacts.departmentId, departmentId), gt(contacts.id, after)))
              .orderBy(asc(contacts.id))
              .limit(ORDERED_SCAN_BUDGET)
        ).as("walked"),
      );
    const last = walked?.last === null || walked?.last === undefined ? null : Number(walked.last);
    if (last !== null) {
      const matches = sql`${contacts.id} in ${matchingIds(departmentId, q, last)}`;
      const rest = await ctx.db
        .select(listColumns())
        .from(contacts)
        .where(and(matches, condition, status))
        .orderBy(asc(contacts.id))
        .limit(limit + 1 - rows.length);
      rows = [...rows, ...rest];
    }
  }
  const result = rows.slice(0, limit);
  return { contacts: result, nextCursor: rows.length > limit ? String(result[result.length - 1]!.id) : null };
}

export type ContactInput = {
  email: string;
  name?: string;
  attributes?: Record<string, string | number | boolean | null>;
  tags?: string[];
  phone?: string;
  wecomUserId?: string;
  channelConsent?: ContactChannel[];
};

/**
 * The API's contact upsert: adds to the pool, updates what exists, reports each refusal by index.
 * A phone number that is not one does not refuse the contact: it is kept without it (as an
 * import keeps the row) and named in `badPhones`. Phone, WeCom id and consent given are set (consent
 * added to what the contact has); left out, they are kept.
 */
export async function addContacts(ctx: Ctx, poolId: string, input: ContactInput[]) {
  if (input.length > MAX_CONTACTS_PER_CALL) {
    throw invalidInput("tooManyContacts", { field: "contacts", params: { max: MAX_CONTACTS_PER_CALL } });
  }
  const pool = await loadPool(ctx, poolId);
  const invalid: { index: number; email: string; reason: string }[] = [];
  const badPhones: { index: number; phone: string; reason: string }[] = [];
  const region = await readPhoneRegion(ctx.db);
  const prepared: Prepared[] = input.map((contact, index) => {
    const checked = normalizeAddress(String(contact.email ?? ""));
    if (!checked.ok) {
      invalid.push({ index, email: String(contact.email ?? ""), reason: addressProblemInEnglish(checked) });
      return { line: index, reason: checked.reason, params: checked.params, value: String(contact.email ?? "") };
    }
    const named = checkTagNames(contact.tags ?? []);
    if (!named.ok) {
      invalid.push({ index, email: checked.email, reason: describeReason(reasonsEn, named.reason, named.params) });
      return { line: index, reason: named.reason, params: named.params, value: checked.email };
    }
    const attributes: Record<string, string> = {};
    for (const [key, value] of Object.entries(contact.attributes ?? {})) {
      if (value !== null && value !== undefined && String(value).trim() !== "") attributes[key.slice(0, 100)] = String(value).slice(0, 1000);
    }
    const prepared: PreparedContact = { line: index, email: checked.email, name: (contact.name ?? "").trim().slice(0, 200), attributes, ...(named.names.length > 0 ? { tags: named.names } : {}) };
    const phone = readPhoneCell(contact.phone, region);
    if (phone.ok && phone.e164) prepared.phone = phone.e164;
    else if (!phone.ok) badPhones.push({ index, phone: phone.problem.value, reason: describeReason(reasonsEn, phone.problem.reason, phone.problem.params) });
    if (contact.wecomUserId) prepared.wecomUserId = contact.wecomUserId;
    if (contact.channelConsent && contact.channelConsent.length > 0) prepared.consent = consentList(contact.channelConsent);
    return withHygiene(prepared);
  });
  const outcome = await writeBatch(
    {
      db: ctx.db,
      departmentId: pool.departmentId,
      poolId: pool.id,
      updateExisting: true,
      record: (tx, result) =>
        recordAudit(tx, ctx.actor, {
          action: "pool.contacts_add",
          objectType: "pool",
          objectId: pool.id,
          departmentId: pool.departmentId,
          summary: { key: "pool.contactsAdd", params: { imported: result.imported, pool: pool.name, updated: result.updated, invalid: result.invalid } },
          details: badPhones.length > 0 ? { badPhones: badPhones.length } : undefined,
        }),
    },
    prepared,
  );
  return { added: outcome.imported, updated: outcome.updated, invalid, badPhones };
}
