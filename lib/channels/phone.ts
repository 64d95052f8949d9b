import { isSupportedCountry, parsePhoneNumberWithError, ParseError, validatePhoneNumberLength, type CountryCode } from "libphonenumber-js/max";

/**
 * Phone numbers as contacts store them: E.164 ("+8613800138000"), parsed and validated by
 * libphonenumber-js with its full metadata ("max": it knows which number ranges are in use, so a
 * mobile number one digit short is refused, not stored). National numbers are read in the
 * company's region (setting `phoneRegion`); a number with a leading + or 00 needs none.
 */

/** Longer text is refused before the parser sees it: no phone number, even formatted, is this long. */
export const MAX_PHONE_INPUT = 64;

export const PHONE_PROBLEMS = ["empty", "input_too_long", "not_a_number", "invalid_country", "too_short", "too_long", "invalid"] as const;
export type PhoneProblem = (typeof PHONE_PROBLEMS)[number];

export type ParsedPhone = { ok: true; e164: string } | { ok: false; reason: PhoneProblem };

export const DEFAULT_PHONE_REGION = "CN";

/** Whether text is a region libphonenumber-js knows (ISO 3166-1 alpha-2, upper case). */
export function isPhoneRegion(text: string): text is CountryCode {
  return /^[A-Z]{2}$/.test(text) && isSupportedCountry(text);
}

const LENGTH_PROBLEMS: Partial<Record<string, PhoneProblem>> = { TOO_SHORT: "too_short", TOO_LONG: "too_long", INVALID_COUNTRY: "invalid_country", NOT_A_NUMBER: "not_a_number" };

export function parsePhone(text: string, region: string = DEFAULT_PHONE_REGION): ParsedPhone {
  if (text.length > MAX_PHONE_INPUT) return { ok: false, reason: "input_too_long" };
  const trimmed = text.trim();
  if (trimmed === "") return { ok: false, reason: "empty" };
  const defaultCountry = isPhoneRegion(region) ? region : undefined;
  try {
    // extract: false: the whole cell must be the number ("call 138…" or a vanity "1-800-FLOWERS" is refused).
    const phone = parsePhoneNumberWithError(trimmed, { defaultCountry, extract: false });
    if (phone.isValid()) return { ok: true, e164: phone.number };
    const length = validatePhoneNumberLength(trimmed, { defaultCountry });
    return { ok: false, reason: (length && LENGTH_PROBLEMS[length]) || "invalid" };
  } catch (error) {
    if (error instanceof ParseError) return { ok: false, reason: LENGTH_PROBLEMS[error.message] ?? "not_a_number" };
    throw error;
  }
}

/** An E.164 number for people to read ("+86 138 0013 8000"); anything else is shown as it is. */
export function formatPhone(e164: string): string {
  try {
    return parsePhoneNumberWithError(e164, { extract: false }).formatInternational();
  } catch {
    return e164;
  }
}
