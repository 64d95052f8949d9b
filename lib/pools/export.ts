import "server-only";
import { and, asc, gt, sql } from "drizzle-orm";
import { queryRows } from "@/db/client";
import { contacts } from "@/db/schema";
import { recordAudit } from "@/lib/audit/record";
import type { Ctx } from "@/lib/access/context";
import { csvLine } from "@/lib/csv/write";
import { contactConditions, resolveScope, suppressionReasonOfContact, type ContactFilters, type ContactScope } from "./contacts";

const CHUNK = 5_000;

/**
 * The contacts of a pool (or of a filtered view of it) as CSV lines: address, name, status,
 * suppression, then one column per attribute key found. Read in id order, a chunk at a time.
 */
export async function exportContacts(ctx: Ctx, scope: ContactScope, filters: ContactFilters): Promise<AsyncIterable<string>> {
  const { departmentId, condition } = await resolveScope(ctx, scope);
  const where = contactConditions(departmentId, condition, filters);
  const keyRows = await queryRows<{ key: string }>(
    ctx.db,
    sql`select distinct jsonb_object_keys(${contacts.attributes}) as key from ${contacts} where ${where} order by 1 limit 200`,
  );
  const keys = keyRows.map((row) => row.key);
  await recordAudit(ctx.db, ctx.actor, {
    action: "pool.export",
    objectType: "pool",
    objectId: "poolId" in scope ? scope.poolId : "uncategorised",
    departmentId,
    summary: { key: "pool.export", params: { q: filters.q ?? null, contactStatus: filters.status ?? null }, notes: [filters.q && "matching", filters.status && "withStatus"] },
  });
  const db = ctx.db;
  async function* lines() {
    yield csvLine(["email", "name", "status", "suppressed", "created_at", ...keys]);
    let cursor = 0;
    for (;;) {
      const rows = await db
        .select({
          id: contacts.id,
          email: contacts.email,
          name: contacts.name,
          status: contacts.status,
          attributes: contacts.attributes,
          createdAt: contacts.createdAt,
          suppressed: suppressionReasonOfContact(),
        })
        .from(contacts)
        .where(and(where, gt(contacts.id, cursor)))
        .orderBy(asc(contacts.id))
        .limit(CHUNK);
      if (rows.length === 0) return;
      let chunk = "";
      for (const row of rows) {
        chunk += csvLine([row.email, row.name, row.status, row.suppressed ?? "", row.createdAt.toISOString(), ...keys.map((key) => row.attributes[key] ?? "")]);
      }
      yield chunk;
      cursor = rows[rows.length - 1]!.id;
    }
  }
  return lines();
}
