import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import { tags } from "@/db/schema";

/*
 * The department's tag vocabulary at its lowest level, shared by the import (which tags as it
 * merges) and lib/audiences (which tags by hand and through the API): names checked by
 * tag-names.ts come in, the tags they name come out.
 */

/** A list of names as a set-returning call (alias it where it is used), passed as one parameter. */
const nameSet = (names: readonly string[]): SQL => sql`jsonb_array_elements_text(${JSON.stringify(names)}::jsonb)`;

/** The department's tags named by `names` (as a set of ids), whatever the case they are written in. */
export function tagIdsNamed(departmentId: string, names: readonly string[]): SQL {
  return sql`(select ${tags.id} from ${tags} where ${tags.departmentId} = ${departmentId} and lower(${tags.name}) in (select lower(given.value) from ${nameSet(names)} as given(value)))`;
}

/**
 * Adds to the vocabulary the names it does not have in any case, and answers the names created.
 * Its own statement, before the one that links contacts: a tag another transaction creates at the
 * same moment is waited for here and seen by the next statement. Names go in in one order, so two
 * such inserts never wait for each other in a circle.
 */
export async function ensureTags(db: Executor, departmentId: string, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const sorted = [...names].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
  const created = await queryRows<{ name: string }>(
    db,
    sql`insert into ${tags} (department_id, name)
        select ${departmentId}::uuid, value from ${nameSet(sorted)} as named(value) order by lower(value)
        on conflict (department_id, (lower(name))) do nothing
        returning name`,
  );
  return created.map((row) => row.name);
}
