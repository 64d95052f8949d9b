import { auditSummariesEn, PARAMETER_TERMS, type AuditNote, type AuditSummary, type AuditSummaryCatalogue, type AuditSummaryValue } from "./audit-summaries-en";
import { describeReason } from "./describe";
import { reasonsEn, type ReasonCatalogue, type ReasonParams } from "./reasons-en";

export type AuditWording = {
  catalogue: AuditSummaryCatalogue;
  /** Words a `problem` value, which names a refusal reason. */
  reasons: ReasonCatalogue;
  /** Groups numbers the reader's way (10,000). */
  locale: string;
  /** Says an `at` value (an ISO instant) in the reader's time zone; without it the ISO text stays. */
  formatTime?: (iso: string) => string;
};

const PLACEHOLDER = /\{(\w+)(?:\|([^|{}]*)\|([^|{}]*))?\}/g;

function fill(template: string, values: Record<string, AuditSummaryValue>, wording: AuditWording): string {
  const terms: Record<string, Record<string, string>> = wording.catalogue.terms;
  return template.replace(PLACEHOLDER, (whole, name: string, one?: string, many?: string) => {
    if (!Object.hasOwn(values, name)) return whole;
    const value = values[name]!;
    if (one !== undefined) return value === 1 ? one : (many ?? "");
    const list = Object.hasOwn(PARAMETER_TERMS, name) ? PARAMETER_TERMS[name]! : undefined;
    const words = list ? terms[list]! : {};
    if (value === null) return words.none ?? "—";
    if (typeof value === "number") return value.toLocaleString(wording.locale);
    const term = (text: string) => (Object.hasOwn(words, text) ? words[text]! : text);
    if (Array.isArray(value)) return value.map(term).join(wording.catalogue.list);
    const text = String(value);
    if (Object.hasOwn(words, text)) return term(text);
    if (name === "at" && wording.formatTime) return wording.formatTime(text);
    if (name === "problem" && (Object.hasOwn(wording.reasons.messages, text) || Object.hasOwn(wording.reasons.rules, text))) {
      return describeReason(wording.reasons, text, values as ReasonParams);
    }
    return text;
  });
}

/** The sentence an operation-log row says, in the catalogue's language: its message, then its notes in brackets. */
export function describeAuditSummary(summary: AuditSummary, wording: AuditWording): string {
  const { catalogue } = wording;
  const values = summary.params ?? {};
  const notes = (summary.notes ?? []).filter((note): note is AuditNote => typeof note === "string" && note !== "").map((note) => fill(catalogue.notes[note], values, wording));
  const message = fill(catalogue.messages[summary.key], values, wording);
  return notes.length ? `${message}${catalogue.open}${notes.join(catalogue.separator)}${catalogue.close}` : message;
}

/** The English sentence stored with a row, read by exports and by readers without a catalogue. */
export function englishAuditSummary(summary: AuditSummary): string {
  return describeAuditSummary(summary, { catalogue: auditSummariesEn, reasons: reasonsEn, locale: "en" });
}

/** How a row's summary is stored: the message key, and its values and notes. */
export type StoredSummaryParams = { values: Record<string, AuditSummaryValue>; notes: string[] };

/**
 * A stored row in the reader's language. Rows written before summaries were keys (or by a newer
 * server with a key this console does not know) show their stored English text.
 */
export function describeStoredSummary(row: { summary: string; summaryKey: string | null; summaryParams: unknown }, wording: AuditWording): string {
  const { catalogue } = wording;
  if (!row.summaryKey || !Object.hasOwn(catalogue.messages, row.summaryKey)) return row.summary;
  const stored = (row.summaryParams ?? {}) as Partial<StoredSummaryParams>;
  const notes = (Array.isArray(stored.notes) ? stored.notes : []).filter((note): note is keyof AuditSummaryCatalogue["notes"] => typeof note === "string" && Object.hasOwn(catalogue.notes, note));
  return describeAuditSummary({ key: row.summaryKey as AuditSummary["key"], params: stored.values ?? {}, notes }, wording);
}
