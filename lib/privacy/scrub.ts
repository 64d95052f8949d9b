import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { erasedKey, erasedPlaceholder } from "@/lib/addresses/erased";

/**
 * One address to find and take out of stored text: where it is mentioned (case-insensitively, as a
 * reader would find it) and what it is replaced with (its erased key, which names no one).
 */
export type Scrub = { email: string; key: string; placeholder: string; pattern: string };

/** Every character but letters and digits escaped, so the address is matched literally by a Postgres regular expression. */
function literalPattern(text: string): string {
  return text.replace(/[^\p{L}\p{N}]/gu, (char) => (char.charCodeAt(0) < 0x80 ? `\\${char}` : char));
}

export function scrubOf(email: string): Scrub {
  return { email, key: erasedKey(email), placeholder: erasedPlaceholder(email), pattern: literalPattern(email) };
}

/** The text holds the address, whatever its case. */
export function mentions(scrub: Scrub, text: SQL): SQL {
  return sql`strpos(lower(${text}), lower(${scrub.email})) > 0`;
}

/** The text with each mention of the address replaced by its key. */
export function scrubbedText(scrub: Scrub, text: SQL): SQL {
  return sql`regexp_replace(${text}, ${scrub.pattern}, ${scrub.key}, 'gi')`;
}

/** The same over a jsonb value's text (the key needs no JSON escaping). */
export function scrubbedJson(scrub: Scrub, json: SQL): SQL {
  return sql`regexp_replace((${json})::text, ${scrub.pattern}, ${scrub.key}, 'gi')::jsonb`;
}

/** The address's UTF-8 bytes as Latin-1 text, so raw bytes read as Latin-1 can be searched and changed at no other byte. */
function latin1(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1");
}

/** Raw message bytes with each mention of the address (whatever its case) replaced by its key. */
export function scrubbedBytes(scrub: Scrub, raw: Buffer): Buffer {
  const needle = new RegExp(latin1(scrub.email).replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "gi");
  return Buffer.from(raw.toString("latin1").replace(needle, scrub.key), "latin1");
}

/** Whether the bytes hold the address, whatever its case. */
export function bytesMention(scrub: Scrub, raw: Buffer): boolean {
  return raw.toString("latin1").toLowerCase().includes(latin1(scrub.email).toLowerCase());
}
