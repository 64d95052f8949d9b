import { sql, type Column, type SQL } from "drizzle-orm";

/** A Postgres array literal parameter (drizzle would otherwise expand a JS array into a row): `= any(${toArray(ids)}::uuid[])`. */
export function toArray(values: readonly (string | number | null)[]): string {
  return `{${values.map((value) => (value === null ? "NULL" : `"${String(value).replace(/["\\]/g, "\\$&")}"`)).join(",")}}`;
}

/**
 * A timestamp as microseconds since the epoch, as text: the time in a keyset cursor, exact where a
 * JS Date (milliseconds) would round a row into its neighbours' page. Read back by fromEpochMicros.
 */
export function epochMicros(timestamp: Column | SQL): SQL<string> {
  return sql<string>`(extract(epoch from ${timestamp}) * 1000000)::bigint::text`;
}

/** The timestamptz a cursor's microseconds (epochMicros) name. */
export function fromEpochMicros(micros: string): SQL {
  return sql`(timestamptz 'epoch' + ${micros}::bigint * interval '1 microsecond')`;
}
