import { sql, type SQL } from "drizzle-orm";
import type { ImportMapping } from "@/db/schema";
import type { ParsedRow } from "./parse";
import { invalidInput } from "@/lib/errors";
import { checkTagNames, splitTagCell } from "./tag-names";

/*
 * Tags on import (decision 0077): a column of the mapping read as tags (`VIP, 上海`), and tags every
 * contact of the import is given ("tag everything imported with …"). Both are written by the
 * batch's merge statement (lib/pools/import.ts) from what was staged, on either staging path.
 */

export type RowTags = { ok: true; tags?: string[] } | { ok: false; reason: "tagNameEmpty" | "tagNameTooLong" | "tagNameInvalid" | "tooManyTags"; params: Record<string, string | number>; value: string };

/** The row's tags cell, checked: a bad name makes the line invalid, with the cell as its value. */
export function rowTags(row: ParsedRow, mapping: ImportMapping): RowTags {
  if (mapping.tagsColumn === undefined || mapping.tagsColumn === null) return { ok: true };
  const cell = row.fields[mapping.tagsColumn] ?? "";
  const checked = splitTagCell(cell);
  if (!checked.ok) return { ok: false, reason: checked.reason as Extract<RowTags, { ok: false }>["reason"], params: checked.params, value: cell.slice(0, 320) };
  return checked.names.length > 0 ? { ok: true, tags: checked.names } : { ok: true };
}

/** A mapping whose tags column is its own and whose "tag everything" names are checked (field `tags`): an import never starts with a bad one. */
export function checkedMapping(mapping: ImportMapping): ImportMapping {
  const tagsColumn = mapping.tagsColumn ?? null;
  if (tagsColumn !== null && (tagsColumn === mapping.emailColumn || tagsColumn === mapping.nameColumn)) throw invalidInput("tagsColumnTaken", { field: "tagsColumn" });
  const phoneColumn = mapping.phoneColumn ?? null;
  if (phoneColumn !== null && [mapping.emailColumn, mapping.nameColumn, tagsColumn].includes(phoneColumn)) throw invalidInput("phoneColumnTaken", { field: "phoneColumn" });
  if (!mapping.tags) return mapping;
  const checked = checkTagNames(mapping.tags);
  if (!checked.ok) throw invalidInput(checked.reason, { field: "tags", params: checked.params });
  return { ...mapping, tags: checked.names };
}

/** Every name a batch uses, for the vocabulary to have before the merge. */
export function namesOfBatch(contacts: readonly { tags?: string[] }[], tagAll: readonly string[] = []): string[] {
  const names = new Map<string, string>();
  for (const name of tagAll) names.set(name.toLowerCase(), name);
  for (const contact of contacts) for (const name of contact.tags ?? []) if (!names.has(name.toLowerCase())) names.set(name.toLowerCase(), name);
  return [...names.values()];
}

/** Merged repeats of an address keep the tags of both lines. */
export function mergedTags(earlier?: string[], later?: string[]): string[] | undefined {
  if (!earlier) return later;
  if (!later) return earlier;
  return namesOfBatch([{ tags: earlier }, { tags: later }]);
}

/** An array literal of names for COPY's text format (names hold no control characters: tag-names.ts). */
export function arrayLiteral(names: readonly string[]): string {
  return `{${names.map((name) => `"${name.replace(/["\\]/g, (char) => `\\${char}`)}"`).join(",")}}`;
}

/**
 * A CTE of the merge: each upserted contact linked to its line's tags and to `tagAll`, by name
 * in any case (the vocabulary has them all by now). `upserted` must return id and email.
 */
export function tagLinks(departmentId: string, tagAll: readonly string[]): SQL {
  return sql`, tagged as (
    insert into contact_tags (tag_id, contact_id)
    select tags.id, upserted.id from upserted join input using (email)
      cross join lateral unnest(coalesce(input.tags, '{}'::text[]) || array(select jsonb_array_elements_text(${JSON.stringify(tagAll)}::jsonb))) as named(name)
      join tags on tags.department_id = ${departmentId}::uuid and lower(tags.name) = lower(named.name)
    on conflict do nothing)`;
}
