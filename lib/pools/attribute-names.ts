import "server-only";
import { sql } from "drizzle-orm";
import { queryRows } from "@/db/client";
import { authorize } from "@/lib/access/policy";
import type { Ctx } from "@/lib/access/context";

/** Contacts read for their attribute names: enough to find every column of any import, bounded on a million-contact department. */
const SAMPLE_CONTACTS = 20_000;
const MAX_NAMES = 200;

/**
 * The attribute names (`attributes.<name>`) a department's contacts carry, for the template editor's
 * merge-tag picker: the keys of a bounded sample of its contacts, plus the attribute columns of its
 * completed imports (so a column whose contacts lie outside the sample is still offered).
 */
export async function attributeNames(ctx: Ctx, departmentId: string): Promise<string[]> {
  authorize(ctx.actor, "templates.manage", { departmentId });
  const rows = await queryRows<{ key: string | null }>(
    ctx.db,
    sql`select key from (
          select key from (select attributes from contacts where department_id = ${departmentId} and attributes <> '{}'::jsonb limit ${SAMPLE_CONTACTS}) sample,
            jsonb_object_keys(sample.attributes) as key
          union
          select jsonb_array_elements(mapping -> 'attributeColumns') ->> 'key' as key
            from imports where department_id = ${departmentId} and status = 'completed' and jsonb_typeof(mapping -> 'attributeColumns') = 'array'
        ) names where key is not null and key <> '' order by key limit ${MAX_NAMES}`,
  );
  return rows.map((row) => row.key!).sort((a, b) => a.localeCompare(b));
}
