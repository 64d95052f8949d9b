import { reasonsEn, type Reason, type ReasonCatalogue, type ReasonParams } from "./reasons-en";

/** A refusal as it crosses to the console or the API: a code, and the reason that words it. */
export type Refusal = { code: string; reason?: string; params?: ReasonParams; field?: string };

/** Rules are phrases about a field ("is required"); the rest are whole sentences. */
export function isRule(reason: string): boolean {
  return Object.hasOwn(reasonsEn.rules, reason);
}

/**
 * Words a reason in a catalogue's language. A parameter whose name has a list of terms
 * (`what`, `status`, …) is replaced by its word there, so "task"/"sending" read as 任务/发送中;
 * a `problem` that names another reason is that reason, worded with the same values.
 */
export function describeReason(catalogue: ReasonCatalogue, reason: string, params: ReasonParams = {}): string {
  const template = Object.hasOwn(catalogue.rules, reason)
    ? catalogue.rules[reason as keyof ReasonCatalogue["rules"]]
    : catalogue.messages[reason as keyof ReasonCatalogue["messages"]];
  const terms = catalogue.terms as Record<string, Record<string, string>>;
  return (template ?? "").replace(/\{(\w+)\}/g, (whole, name: string) => {
    if (!Object.hasOwn(params, name)) return whole;
    const value = String(params[name]);
    const words = Object.hasOwn(terms, name) ? terms[name] : undefined;
    if (words && Object.hasOwn(words, value)) return words[value]!;
    // A rule named as a parameter ("{address}: {problem}") is worded with the same values.
    if (name === "problem" && value !== reason && (Object.hasOwn(catalogue.rules, value) || Object.hasOwn(catalogue.messages, value))) {
      return describeReason(catalogue, value, params);
    }
    return value;
  });
}

/** The label of a field in a catalogue's language; a field it does not know is "this field", never its property name. */
export function fieldLabel(catalogue: ReasonCatalogue, field: string | undefined): string {
  const fields = catalogue.fields as Record<string, string>;
  // The whole path when the catalogue labels it ("abTest.sharePercent"), else its first part ("to.3.email" → "to").
  const labelled = [field, field?.split(".")[0]].find((key) => key && Object.hasOwn(fields, key));
  return labelled ? fields[labelled]! : catalogue.unknownField;
}

/**
 * The sentence the console shows for a refusal. A reason the catalogue does not know (a newer
 * server) falls back to the code's general sentence, so no server prose ever reaches the page.
 */
export function describeRefusal(catalogue: ReasonCatalogue, refusal: Refusal): string {
  const known = refusal.reason !== undefined && (Object.hasOwn(catalogue.rules, refusal.reason) || Object.hasOwn(catalogue.messages, refusal.reason));
  if (!known) {
    const codes = catalogue.codes as Record<string, string>;
    return Object.hasOwn(codes, refusal.code) ? codes[refusal.code]! : catalogue.codes.internal;
  }
  const text = describeReason(catalogue, refusal.reason!, refusal.params);
  return isRule(refusal.reason!) ? `${fieldLabel(catalogue, refusal.field)}${catalogue.colon}${text}` : text;
}

export type { Reason };

/**
 * The sentence for an API-shaped error body (`{ error: { code, reason, params, details } }`)
 * that a console fetch received; anything else (a proxy's page) is the internal sentence.
 */
export function describeErrorBody(catalogue: ReasonCatalogue, body: unknown): string {
  const error = (body as { error?: { code?: unknown; reason?: unknown; params?: unknown; details?: { field?: unknown } } } | null)?.error;
  if (!error || typeof error.code !== "string") return catalogue.codes.internal;
  return describeRefusal(catalogue, {
    code: error.code,
    ...(typeof error.reason === "string" ? { reason: error.reason } : {}),
    ...(error.params && typeof error.params === "object" ? { params: error.params as ReasonParams } : {}),
    ...(typeof error.details?.field === "string" ? { field: error.details.field } : {}),
  });
}
