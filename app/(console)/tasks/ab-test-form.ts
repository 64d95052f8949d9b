import type { AbMetric, AbTestConfig } from "@/db/schema";
import { format, type Messages } from "@/lib/i18n";

/*
 * The task form's A/B test as posted, shared by the form, its confirmation step and the server
 * action that reads it. A variant's fields are repeated once per row, in row order.
 */

/** Named as the server names the fields it refuses ("abTest.variants", "abTest.sharePercent"…), so its refusals land beside them. */
export const AB_FIELDS = {
  on: "abTest",
  subject: "abTest.variants.subject",
  fromName: "abTest.variants.fromName",
  templateVersion: "abTest.variants.templateVersion",
  sharePercent: "abTest.sharePercent",
  metric: "abTest.metric",
  waitHours: "abTest.waitHours",
  winnerBy: "abTest.winnerBy",
} as const;

/** What the server lets a test be (lib/sending/ab-test-check.ts AB_LIMITS) and how many a variant needs for the rule to decide, handed over by the page. */
export type AbLimits = { minVariants: number; maxVariants: number; minShare: number; maxShare: number; maxWaitHours: number; minSent: number };

/** One variant row as typed: blank is the task's own (the template's subject, the task's display name, the current version). */
export type AbVariantDraft = { subject: string; fromName: string; templateVersion: string };

export type AbTestDraft = { variants: AbVariantDraft[]; sharePercent: string; metric: AbMetric; waitHours: string; winnerBy: "rule" | "hand" };

/** A, B, C, D: how variants are named to people (lib/campaigns/ab-winner.ts variantLetter's twin, so the browser need not load the statistics behind it). */
export const variantName = (index: number) => String.fromCharCode(65 + index);

const BLANK_VARIANT: AbVariantDraft = { subject: "", fromName: "", templateVersion: "" };

/** A test as the form starts it: the task's saved test, or two blank variants and the usual settings. */
export function abTestDraft(saved: AbTestConfig | null): AbTestDraft {
  if (!saved) return { variants: [BLANK_VARIANT, BLANK_VARIANT], sharePercent: "20", metric: "opens", waitHours: "4", winnerBy: "rule" };
  return {
    variants: saved.variants.map((variant) => ({ subject: variant.subject ?? "", fromName: variant.fromName ?? "", templateVersion: variant.templateVersion ? String(variant.templateVersion) : "" })),
    sharePercent: String(saved.sharePercent),
    metric: saved.metric,
    waitHours: String(saved.waitHours),
    winnerBy: saved.winnerBy,
  };
}

export const blankVariant = (): AbVariantDraft => ({ ...BLANK_VARIANT });

/** The test a posted form asks for, or null when it asks for none (the confirmation step shows it). */
export function abTestOfForm(form: FormData): AbTestDraft | null {
  if (!form.get(AB_FIELDS.on)) return null;
  const column = (name: string) => form.getAll(name).map(String);
  const fromNames = column(AB_FIELDS.fromName);
  const versions = column(AB_FIELDS.templateVersion);
  return {
    variants: column(AB_FIELDS.subject).map((subject, index) => ({ subject, fromName: fromNames[index] ?? "", templateVersion: versions[index] ?? "" })),
    sharePercent: String(form.get(AB_FIELDS.sharePercent) ?? ""),
    metric: form.get(AB_FIELDS.metric) === "clicks" ? "clicks" : "opens",
    waitHours: String(form.get(AB_FIELDS.waitHours) ?? ""),
    winnerBy: form.get(AB_FIELDS.winnerBy) === "hand" ? "hand" : "rule",
  };
}

/** What a variant changes from the task, in words: "subject “…” · template v2", or "as the task". */
export function variantChanges(words: Messages["tasks"]["abTest"], variant: { subject?: string | null; fromName?: string | null; templateVersion?: number | string | null }): string {
  const changes = [
    variant.subject ? format(words.changeSubject, { subject: variant.subject }) : "",
    variant.fromName ? format(words.changeFromName, { name: variant.fromName }) : "",
    variant.templateVersion ? format(words.changeVersion, { version: variant.templateVersion }) : "",
  ].filter(Boolean);
  return changes.length > 0 ? changes.join(" · ") : words.unchanged;
}

/** The test's settings in a line: its share, its metric, its wait and who chooses the winner. */
export function abSettingsLine(words: Messages["tasks"]["abTest"], test: { sharePercent: number | string; metric: AbMetric; waitHours: number | string; winnerBy: "rule" | "hand" }): string {
  return format(words.settings, { share: test.sharePercent, rateName: words.rateNames[test.metric], hours: test.waitHours, winnerBy: test.winnerBy === "hand" ? words.handChoice : words.automaticChoice });
}
