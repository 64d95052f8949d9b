/**
 * What is left of an erased address (decision 0079): a keyed hash, HMAC-SHA256 under a key derived
 * from the server's token secret, written `erased:<64 hex>`. It is kept as a suppression entry, so a
 * later import, send or message to the same address is still refused, and it names the deliveries
 * the address had (`erased:<hex>@<domain>`: unique per task as the address was, and the recipient
 * domain the rollups count by is kept). Without the secret it cannot be turned back into the address.
 *
 * The same hash is computed in SQL (`erasedKeySql`) from the standard HMAC construction over the
 * built-in sha256(), which PGlite has too: no extension, and materialisation checks whole audiences
 * in one statement without a round trip per contact.
 */
import "server-only";
import crypto from "node:crypto";
import { sql, type SQL } from "drizzle-orm";
import { getSecrets } from "@/lib/config/secrets";

export const ERASED_PREFIX = "erased:";
const BLOCK = 64;

type Keys = { secret: string; key: Buffer; inner: string; outer: string };
let cached: Keys | undefined;

function keys(): Keys {
  const secret = getSecrets().tokenSecret;
  if (cached?.secret === secret) return cached;
  // A key of its own, so an erased address's hash is no token or link signature of the same text.
  const key = crypto.createHmac("sha256", secret).update("fanout erased address v1").digest();
  const padded = Buffer.alloc(BLOCK);
  key.copy(padded);
  const xor = (byte: number) => Buffer.from(padded.map((value) => value ^ byte)).toString("hex");
  cached = { secret, key, inner: xor(0x36), outer: xor(0x5c) };
  return cached;
}

/** Whether a stored value is what an erasure left (a suppression key or a delivery's placeholder). */
export function isErased(value: string): boolean {
  return value.startsWith(ERASED_PREFIX);
}

/** The key of a normalised address; a placeholder's own key for a placeholder. */
export function erasedKey(email: string): string {
  if (isErased(email)) return email.split("@")[0]!;
  return ERASED_PREFIX + crypto.createHmac("sha256", keys().key).update(email, "utf8").digest("hex");
}

/** The placeholder a delivery's address becomes: its key and the recipient domain. */
export function erasedPlaceholder(email: string): string {
  return isErased(email) ? email : `${erasedKey(email)}@${email.slice(email.lastIndexOf("@") + 1)}`;
}

/** erasedKey in SQL, over an expression holding a normalised address (or a placeholder). */
export function erasedKeySql(email: SQL): SQL {
  const { inner, outer } = keys();
  return sql`(case when ${email} like 'erased:%' then split_part(${email}, '@', 1)
    else 'erased:' || encode(sha256(decode(${outer}, 'hex') || sha256(decode(${inner}, 'hex') || convert_to(${email}, 'UTF8'))), 'hex') end)`;
}

/**
 * The condition "suppression row `entry` stops `email`": the address itself or its erased key. With
 * the one department the statement reads, the key is computed only when that department has an
 * erased entry at all (one probe of suppressions_erased_idx, made once per statement): hashing costs
 * about 4 µs a contact on Postgres, which a 200k-contact materialisation should not pay for nothing.
 */
export function suppressionMatches(entryEmail: SQL, email: SQL, departmentId?: string): SQL {
  const key = departmentId
    ? sql`case when (select exists (select 1 from suppressions e where e.department_id = ${departmentId} and e.reason = 'erased')) then ${erasedKeySql(email)} end`
    : erasedKeySql(email);
  return sql`${entryEmail} in (${email}, ${key})`;
}

/** The addresses and their keys, for a lookup of suppression entries by `in (…)`. */
export function withErasedKeys(emails: readonly string[]): string[] {
  return [...new Set(emails.flatMap((email) => [email, erasedKey(email)]))];
}

/** Each address that a suppression row (looked up with withErasedKeys) stops, with that row's reason. */
export function suppressedAmong<R extends string>(emails: readonly string[], rows: readonly { email: string; reason: R }[]): Map<string, R> {
  const entries = new Map(rows.map((row) => [row.email, row.reason]));
  return new Map(
    emails.flatMap((email) => {
      const reason = entries.get(email) ?? entries.get(erasedKey(email));
      return reason ? [[email, reason] as const] : [];
    }),
  );
}
