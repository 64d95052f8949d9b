"use client";

import { useI18n } from "@/lib/i18n/client";

/** The variables every message has (lib/templates/lint.ts CONTACT_VARIABLES and what the send pipeline gives, lib/sending/batch.ts). */
export const BUILT_IN_TAGS = ["name", "email", "unsubscribe_url", "sender_name", "sender_address", "date"] as const;

/** The Liquid output of a contact attribute: a dotted path when the name is one word (姓名, city), else a quoted key ("公司 名称", "e-mail"). */
export function attributeTag(name: string): string | null {
  if (/^[\p{L}_][\p{L}\p{N}_]*$/u.test(name)) return `{{ attributes.${name} }}`;
  if (!name.includes('"')) return `{{ attributes["${name}"] }}`;
  if (!name.includes("'")) return `{{ attributes['${name}'] }}`;
  return null;
}

/**
 * 插入变量: a list of the built-in variables and the department's contact attributes; choosing one
 * hands its tag to `onInsert` (which puts it at the cursor) and the list returns to its prompt.
 */
export function MergeTagPicker({ attributes, onInsert }: { attributes: string[]; onInsert: (tag: string) => void }) {
  const { t } = useI18n();
  const m = t.mergeTags;
  const offered = attributes.flatMap((name) => {
    const tag = attributeTag(name);
    return tag ? [{ name, tag }] : [];
  });
  return (
    <select
      aria-label={m.insert}
      value=""
      onChange={(event) => {
        if (event.target.value) onInsert(event.target.value);
      }}
      className="ml-auto rounded-md bg-white px-2 py-1 text-xs ring-1 ring-inset ring-slate-300"
      data-testid="merge-tag-picker"
    >
      <option value="">{m.insert}</option>
      <optgroup label={m.builtIn}>
        {BUILT_IN_TAGS.map((name) => (
          <option key={name} value={`{{ ${name} }}`}>
            {m.names[name]} · {name}
          </option>
        ))}
      </optgroup>
      <optgroup label={m.attributes}>
        {offered.length === 0 ? (
          <option value="" disabled>
            {m.noAttributes}
          </option>
        ) : (
          offered.map(({ name, tag }) => (
            <option key={name} value={tag}>
              {name}
            </option>
          ))
        )}
      </optgroup>
    </select>
  );
}
