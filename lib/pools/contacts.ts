import { and, asc, eq, gt, sql, type SQL } from "drizzle-orm";
import { contacts, CONTACT_STATUSES, poolMembers, suppressions, type ContactStatus } from "@/db/schema";
import { authorize } from "@/lib/auth/policy";
import { recordAudit } from "@/lib/audit/record";
import type { Ctx } from "@/lib/context";
import { invalidInput } from "@/lib/errors";
import { writeBatch, type Prepared } from "./import";
import { loadPool } from "./pools";
import { normalizeAddress } from "./validate";

export const CONTACT_PAGE_SIZE = 50;
export const MAX_CONTACTS_PER_CALL = 10_000;

export type ContactFilters = { q?: string; status?: ContactStatus; cursor?: number; limit?: number };

/** Which contacts a listing covers: one pool, or the department's contacts in no pool. */
export type ContactScope = { poolId: string } | { uncategorised: string };

function likePattern(q: string) {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

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
    q ? sql`${contacts.searchText} like ${likePattern(q)}` : undefined,
  );
}

/** One page of contacts, by id (keyset): page 1,000 costs what page 1 costs. */
export async function listContacts(ctx: Ctx, scope: ContactScope, filters: ContactFilters = {}) {
  const { departmentId, condition } = await resolveScope(ctx, scope);
  const limit = Math.min(Math.max(filters.limit ?? CONTACT_PAGE_SIZE, 1), 1000);
  const rows = await ctx.db
    .select({
      id: contacts.id,
      email: contacts.email,
      name: contacts.name,
      attributes: contacts.attributes,
      status: contacts.status,
      createdAt: contacts.createdAt,
      suppressedReason: suppressions.reason,
    })
    .from(contacts)
    .leftJoin(suppressions, and(eq(suppressions.departmentId, contacts.departmentId), eq(suppressions.email, contacts.email)))
    .where(and(contactConditions(departmentId, condition, filters), filters.cursor ? gt(contacts.id, filters.cursor) : undefined))
    .orderBy(asc(contacts.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return { contacts: page, nextCursor: rows.length > limit ? String(page[page.length - 1]!.id) : null };
}

export type ContactInput = { email: string; name?: string; attributes?: Record<string, string | number | boolean | null> };

/** The API's contact upsert: adds to the pool, updates what exists, reports each refusal by index. */
export async function addContacts(ctx: Ctx, poolId: string, input: ContactInput[]) {
  if (input.length > MAX_CONTACTS_PER_CALL) {
    throw invalidInput(`At most ${MAX_CONTACTS_PER_CALL} contacts per call; split the list`, { field: "contacts" });
  }
  const pool = await loadPool(ctx, poolId);
  const invalid: { index: number; email: string; reason: string }[] = [];
  const prepared: Prepared[] = input.map((contact, index) => {
    const checked = normalizeAddress(String(contact.email ?? ""));
    if (!checked.ok) {
      invalid.push({ index, email: String(contact.email ?? ""), reason: checked.reason });
      return { line: index, reason: checked.reason, value: String(contact.email ?? "") };
    }
    const attributes: Record<string, string> = {};
    for (const [key, value] of Object.entries(contact.attributes ?? {})) {
      if (value !== null && value !== undefined && String(value).trim() !== "") attributes[key.slice(0, 100)] = String(value).slice(0, 1000);
    }
    return { line: index, email: checked.email, name: (contact.name ?? "").trim().slice(0, 200), attributes };
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
          summary: `Added ${result.imported} contacts to "${pool.name}" (${result.updated} updated, ${result.invalid} invalid)`,
        }),
    },
    prepared,
  );
  return { added: outcome.imported, updated: outcome.updated, invalid };
}
