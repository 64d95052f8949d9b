import type { Reason, ReasonParams } from "@/lib/i18n/reasons-en";

/*
 * What a tag's name may be (标签名), wherever it comes from: the console, the API or a column of an
 * import. A name is trimmed and kept in the case it was first written; the vocabulary matches it
 * whatever its case (the unique index on lower(name)). The separators of a tags cell cannot be in
 * a name, so any tag can be written back into a cell and read again as itself.
 */

export const MAX_TAG_NAME = 50;
/** Tags one cell, one contact of an API call or one "tag everything" field may name. */
export const MAX_TAGS_AT_ONCE = 20;
/** `,` `;` `|` and the full-width comma and semicolon of Chinese input methods. */
export const TAG_SEPARATORS = /[,;|，；]/;
const CONTROL = /[\u0000-\u001f\u007f]/;

export type TagNameCheck = { ok: true; name: string } | { ok: false; reason: Reason; params: ReasonParams };

export function checkTagName(raw: string): TagNameCheck {
  const name = raw.trim().normalize("NFC");
  if (name === "") return { ok: false, reason: "tagNameEmpty", params: {} };
  if (name.length > MAX_TAG_NAME) return { ok: false, reason: "tagNameTooLong", params: { name: `${name.slice(0, 20)}…`, max: MAX_TAG_NAME } };
  if (TAG_SEPARATORS.test(name) || CONTROL.test(name)) return { ok: false, reason: "tagNameInvalid", params: { name: name.slice(0, 40) } };
  return { ok: true, name };
}

export type TagListCheck = { ok: true; names: string[] } | { ok: false; reason: Reason; params: ReasonParams };

/**
 * Names given together (a cell split on its separators, or a list): trimmed, empty ones dropped,
 * a name repeated in another case kept once as first written. One bad name refuses the list.
 */
export function checkTagNames(values: readonly string[]): TagListCheck {
  const names = new Map<string, string>();
  for (const value of values) {
    if (value.trim() === "") continue;
    const checked = checkTagName(value);
    if (!checked.ok) return checked;
    if (!names.has(checked.name.toLowerCase())) names.set(checked.name.toLowerCase(), checked.name);
  }
  if (names.size > MAX_TAGS_AT_ONCE) return { ok: false, reason: "tooManyTags", params: { max: MAX_TAGS_AT_ONCE } };
  return { ok: true, names: [...names.values()] };
}

/** A tags cell (`VIP, 上海；展会2026`) as names. */
export function splitTagCell(cell: string): TagListCheck {
  return checkTagNames(cell.split(TAG_SEPARATORS));
}
