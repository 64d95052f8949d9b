import "server-only";
import { AppError, invalidInput, type Reason, type ReasonParams } from "@/lib/errors";
import { checkContent } from "@/lib/templates/store";

/**
 * A subject a task sends instead of its template version's (a follow-up's, an A/B variant's),
 * checked as a template's subject is against the version it goes with: one line, at most 500
 * characters, Liquid that parses. Blank or absent: null (the version's own). A problem is `field`'s.
 */
export function checkedSubject(given: string | null | undefined, version: { html: string; text: string | null }, where: { field: string; reason: Reason; params?: ReasonParams }): string | null {
  const subject = (given ?? "").trim();
  if (!subject) return null;
  if (subject.length > 500 || /[\r\n]/.test(subject)) throw invalidInput(where.reason, { field: where.field, params: where.params });
  try {
    checkContent({ subject, html: version.html, text: version.text });
  } catch (error) {
    if (error instanceof AppError) throw new AppError("invalid_input", error.reason, { field: where.field, params: { ...where.params, ...error.params } });
    throw error;
  }
  return subject;
}
