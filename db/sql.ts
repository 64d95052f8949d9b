/** A Postgres array literal parameter (drizzle would otherwise expand a JS array into a row): `= any(${toArray(ids)}::uuid[])`. */
export function toArray(values: readonly (string | number)[]): string {
  return `{${values.map((value) => `"${String(value).replace(/["\\]/g, "\\$&")}"`).join(",")}}`;
}
