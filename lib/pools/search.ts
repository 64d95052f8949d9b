import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { affectedRows, type Executor } from "@/db/client";
import { contacts, contactSearch } from "@/db/schema";

/** Above this many rows, an import or the indexer refreshes the planner's statistics itself (lib/pools/import.ts). */
export const STATISTICS_THRESHOLD = 10_000;

/** What a search matches: address, name, attribute values and phone number (E.164, so its digits match), lower-cased. */
export function searchTextOf(email: SQL, name: SQL, attributes: SQL, phone: SQL): SQL {
  return sql`lower(${email} || ' ' || ${name} || ' ' || coalesce((select string_agg(value, ' ') from jsonb_each_text(${attributes})), '') || coalesce(' ' || ${phone}, ''))`;
}

/** The search text computed from a contacts row. */
export const searchableText: SQL = searchTextOf(sql`${contacts.email}`, sql`${contacts.name}`, sql`${contacts.attributes}`, sql`${contacts.phone}`);

export function likePattern(q: string) {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

/** Matches computed row by row: for short walks and for contacts not indexed yet. */
export function matchesDirectly(q: string): SQL {
  return sql`${searchableText} like ${likePattern(q)}`;
}

/**
 * Ids of a department's contacts after `afterId` that match: the trigram index for indexed
 * contacts, plus a direct look at the few still waiting for the indexer.
 */
export function matchingIds(departmentId: string, q: string, afterId: number): SQL {
  return sql`(
    select ${contactSearch.contactId} from ${contactSearch}
    where ${contactSearch.departmentId} = ${departmentId} and ${contactSearch.searchText} like ${likePattern(q)} and ${contactSearch.contactId} > ${afterId}
    union
    select ${contacts.id} from ${contacts}
    where ${contacts.searchPending} and ${contacts.departmentId} = ${departmentId} and ${contacts.id} > ${afterId} and ${matchesDirectly(q)}
  )`;
}

export const INDEX_BATCH = 20_000;

/**
 * Writes the search rows of contacts waiting for it, a batch at a time, and clears their
 * flag in the same statement. Safe to run from several processes (SKIP LOCKED). Runs outside
 * a transaction: after a large batch it vacuums.
 */
export async function indexPendingContacts(db: Executor, maxBatches = Number.POSITIVE_INFINITY): Promise<number> {
  let total = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const done = affectedRows(
      await db.execute(sql`
        with picked as (
          select id from ${contacts} where search_pending order by id limit ${INDEX_BATCH} for update skip locked
        ), written as (
          insert into ${contactSearch} (contact_id, department_id, search_text)
          select ${contacts.id}, ${contacts.departmentId}, ${searchableText} from ${contacts} join picked using (id)
          on conflict (contact_id) do update set search_text = excluded.search_text, department_id = excluded.department_id
        )
        update ${contacts} set search_pending = false from picked where ${contacts.id} = picked.id`),
    );
    total += done;
    if (done < INDEX_BATCH) break;
  }
  if (total >= STATISTICS_THRESHOLD) {
    // Clearing the flags left as many dead row versions (and dead entries in the pending index)
    // as rows indexed; without autovacuum a later search would wade through them.
    await db.execute(sql`vacuum (analyze) contacts`);
    await db.execute(sql`analyze contact_search`);
  }
  return total;
}

/** The server's background indexer: a tick every few seconds, never two at once in a process. */
export function startSearchIndexer(db: Executor, everyMs = 3_000): () => void {
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      await indexPendingContacts(db);
    } catch (error) {
      console.error("[fanout] search indexer", error);
    } finally {
      running = false;
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
