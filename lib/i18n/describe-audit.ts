import { formatInZone } from "@/lib/time/zone";
import { PARAMETER_TERMS, type AuditNote, type AuditSummary, type AuditSummaryCatalogue, type AuditSummaryValue } from "./audit-summaries-en";
import { describeReason } from "./describe";
import { messagesFor, type Locale } from "./index";
import type { ReasonCatalogue, ReasonParams } from "./reasons-en";

export type AuditWording = {
  catalogue: AuditSummaryCatalogue;
  /** Words a `problem` value, which names a refusal reason. */
  reasons: ReasonCatalogue;
  /** Groups numbers the reader's way (10,000). */
  locale: string;
  /** Where an `at` value (an ISO instant) is said; without one the ISO text stays. */
  timeZone?: string;
};

/** How a reader of `locale` is told what happened, times in `timeZone` (FANOUT_TIMEZONE for the console). */
export function auditWording(locale: Locale, timeZone?: string): AuditWording {
  const t = messagesFor(locale);
  return { catalogue: t.auditSummaries, reasons: t.server, locale, timeZone };
}

/** The notes a summary says: the ones its conditions left as keys. */
export function summaryNotes(summary: AuditSummary): AuditNote[] {
  return (summary.notes ?? []).filter((note): note is AuditNote => typeof note === "string" && note !== "");
}

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
    if (Array.isArray(value)) return value.map((item) => (Object.hasOwn(words, item) ? words[item]! : item)).join(wording.catalogue.list);
    const text = String(value);
    if (Object.hasOwn(words, text)) return words[text]!;
    if (name === "at" && wording.timeZone) return formatInZone(new Date(text), wording.timeZone);
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
  const notes = summaryNotes(summary).map((note) => fill(catalogue.notes[note], values, wording));
  const message = fill(catalogue.messages[summary.key], values, wording);
  return notes.length ? `${message}${catalogue.open}${notes.join(catalogue.separator)}${catalogue.close}` : message;
}

/** The English sentence stored with a row, read by exports and by readers without a catalogue. */
export function englishAuditSummary(summary: AuditSummary): string {
  return describeAuditSummary(summary, auditWording("en"));
}

/** How a row's summary is stored beside its key (`summary_params`): its values and notes. */
export type StoredSummaryParams = { values: Record<string, AuditSummaryValue>; notes: string[] };

export function storedSummaryParams(summary: AuditSummary): StoredSummaryParams {
  return { values: summary.params ?? {}, notes: summaryNotes(summary) };
}

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
