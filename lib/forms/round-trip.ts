/**
 * What a visitor typed, kept for the page they are sent back to when a post is refused: in a
 * short-lived cookie of the form's path rather than the URL, so an address never lands in
 * browser history, server logs or a Referer. A cookie holds about 4 KB; past that the longest
 * values are shortened, never the address.
 */
export const TYPED_COOKIE = "fanout-form-typed";
export const TYPED_COOKIE_SECONDS = 600;
const MAX_COOKIE = 3_600;
const KEPT = /^(email|name|consent|field\..{1,100})$/;

export function encodeTypedValues(values: Record<string, string>): string {
  const kept = Object.entries(values).filter(([name]) => KEPT.test(name)).slice(0, 20);
  for (let limit = 1000; limit >= 20; limit = Math.floor(limit / 2)) {
    const shortened = Object.fromEntries(kept.map(([name, value]) => [name, name === "email" ? value.slice(0, 320) : value.slice(0, limit)]));
    const encoded = Buffer.from(JSON.stringify(shortened)).toString("base64url");
    if (encoded.length <= MAX_COOKIE) return encoded;
  }
  return Buffer.from(JSON.stringify({ email: values.email?.slice(0, 320) ?? "" })).toString("base64url");
}

export function decodeTypedValues(cookie: string | undefined): Record<string, string> {
  if (!cookie) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cookie, "base64url").toString("utf8"));
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => KEPT.test(entry[0]) && typeof entry[1] === "string"));
  } catch {
    return {};
  }
}

type CarriedError = { field: string; reason: string; params?: Record<string, string | number> };

/** The refusals of a post, for the URL the visitor is sent back to (no typed value in them but an address's offending character). */
export function encodeFormErrors(errors: CarriedError[]): string {
  return Buffer.from(JSON.stringify(errors.slice(0, 20).map((error) => [error.field.slice(0, 110), error.reason, error.params ?? {}]))).toString("base64url");
}

/** The refusals from the URL, shaped or dropped: the page words each by its reason, never shows them raw. */
export function decodeFormErrors(value: string | undefined): CarriedError[] {
  if (!value || value.length > 4_000) return [];
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
    if (!Array.isArray(parsed)) return [];
    return parsed.slice(0, 20).flatMap((entry: unknown) => {
      if (!Array.isArray(entry) || typeof entry[0] !== "string" || typeof entry[1] !== "string") return [];
      const raw = entry[2] && typeof entry[2] === "object" && !Array.isArray(entry[2]) ? (entry[2] as Record<string, unknown>) : {};
      const params = Object.fromEntries(Object.entries(raw).filter((pair): pair is [string, string | number] => typeof pair[1] === "string" || typeof pair[1] === "number"));
      return [{ field: entry[0], reason: entry[1], params }];
    });
  } catch {
    return [];
  }
}
