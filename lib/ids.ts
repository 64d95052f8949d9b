const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a value has the shape of the ids Postgres gives rows (checked before a query, so a malformed id is "not found", not a database error). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
