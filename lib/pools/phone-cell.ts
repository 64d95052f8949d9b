import { parsePhone, type PhoneProblem } from "@/lib/channels/phone";
import type { Reason, ReasonParams } from "@/lib/i18n/reasons-en";

/** The catalogue's phrase for each way a phone number is refused (lib/i18n/reasons-*.ts). */
export const PHONE_PROBLEM_REASONS = {
  empty: "phoneEmpty",
  input_too_long: "phoneInputTooLong",
  not_a_number: "phoneNotANumber",
  invalid_country: "phoneInvalidCountry",
  too_short: "phoneTooShort",
  too_long: "phoneTooLong",
  invalid: "phoneInvalid",
} as const satisfies Record<PhoneProblem, Reason>;

/** Characters of a refused cell kept for the report. */
const SHOWN_VALUE = 64;

export type PhoneCell = { ok: true; e164: string | null } | { ok: false; problem: { reason: Reason; params: ReasonParams; value: string } };

/**
 * An import cell or a form field as a phone number: empty is "no phone" (fine); anything else
 * must parse in `region`, or the problem says why, worded as "the phone number … {problem}".
 */
export function readPhoneCell(cell: string | undefined, region: string): PhoneCell {
  if (cell === undefined || cell.trim() === "") return { ok: true, e164: null };
  const parsed = parsePhone(cell, region);
  if (parsed.ok) return { ok: true, e164: parsed.e164 };
  const value = cell.trim().slice(0, SHOWN_VALUE);
  return { ok: false, problem: { reason: "importBadPhone", params: { value, region, problem: PHONE_PROBLEM_REASONS[parsed.reason] }, value } };
}
