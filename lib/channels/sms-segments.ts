/**
 * How many SMS parts a text costs. A text that fits the GSM 03.38 alphabet travels as 7-bit
 * septets (160 in one part; 153 per part once concatenated, the user-data header taking the
 * rest); anything else travels as UCS-2 (70, or 67 per part). Characters of the GSM extension
 * table (€ [ ] { } ^ ~ \ | and form feed) are an escape plus a septet, so they count 2; a
 * character outside the Basic Multilingual Plane (an emoji) is a surrogate pair, 2 UCS-2 units.
 * Neither pair is split across two parts, as handsets and gateways pack them.
 */

export { appendOptOutSuffix, isOptOutReply, OPT_OUT_SUFFIX } from "./opt-out";

const GSM_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENSION = "\f^{}\\[~]|€";

const basic = new Set(GSM_BASIC);
const extension = new Set(GSM_EXTENSION);

export type SmsEncoding = "GSM-7" | "UCS-2";

export type SmsSegments = {
  encoding: SmsEncoding;
  /** Characters as a reader counts them (code points). */
  characters: number;
  /** Septets (GSM-7) or 16-bit code units (UCS-2). */
  units: number;
  /** Parts the text is sent (and charged) as; 0 for an empty text. */
  segments: number;
  /** Units one part holds: 160/70 for a single part, 153/67 once concatenated. */
  perSegment: number;
};

const LIMITS: Record<SmsEncoding, { single: number; multi: number }> = {
  "GSM-7": { single: 160, multi: 153 },
  "UCS-2": { single: 70, multi: 67 },
};

export function isGsm7(text: string): boolean {
  for (const char of text) if (!basic.has(char) && !extension.has(char)) return false;
  return true;
}

export function smsSegments(text: string): SmsSegments {
  const encoding: SmsEncoding = isGsm7(text) ? "GSM-7" : "UCS-2";
  const sizes = Array.from(text, (char) => (encoding === "GSM-7" ? (extension.has(char) ? 2 : 1) : char.length));
  const units = sizes.reduce((sum, size) => sum + size, 0);
  const { single, multi } = LIMITS[encoding];
  if (units <= single) return { encoding, characters: sizes.length, units, segments: units === 0 ? 0 : 1, perSegment: single };
  let segments = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > multi) {
      segments++;
      used = 0;
    }
    used += size;
  }
  return { encoding, characters: sizes.length, units, segments, perSegment: multi };
}
