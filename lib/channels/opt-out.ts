/**
 * Opt-out by reply. Chinese carriers expect "拒收请回复R" on marketing texts and read TD/T/R/N/退订
 * as a stop; Twilio and US carriers read STOP and UNSUBSCRIBE. A reply is an opt-out only when it
 * is exactly one of those words (any case, full-width letters folded by NFKC): "please don't stop"
 * is a conversation, not a request.
 */

export const OPT_OUT_SUFFIX = { zh: "拒收请回复R", en: "Reply STOP to opt out" } as const;

const OPT_OUT_WORDS = new Set(["TD", "T", "R", "N", "退订", "STOP", "UNSUBSCRIBE", "取消", "退出"]);
/** Longer than any opt-out word with generous whitespace: not worth normalising. */
const LONGEST_REPLY = 32;

export function isOptOutReply(text: string): boolean {
  if (text.length > LONGEST_REPLY) return false;
  return OPT_OUT_WORDS.has(text.normalize("NFKC").trim().toUpperCase());
}

/** The text with the opt-out sentence at its end, unless it ends with it already. */
export function appendOptOutSuffix(text: string, locale: keyof typeof OPT_OUT_SUFFIX): string {
  const suffix = OPT_OUT_SUFFIX[locale];
  const body = text.trimEnd();
  if (body.endsWith(suffix)) return text;
  return locale === "zh" ? `${body}${suffix}` : `${body} ${suffix}`;
}
