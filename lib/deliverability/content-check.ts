/**
 * Content check: a spam-risk score for a template version, from documented rules (decision 0070).
 * Pure: no database, no network; the same input always gives the same findings. Every finding
 * names its rule, its points, what was found and which field to change; the console words it in
 * the reader's language (lib/i18n, `deliverability.rules`).
 *
 * The score is the sum of the findings' points, at most 100, on SpamAssassin's scale times ten:
 * "high" from 50 (its default spam threshold, 5.0), "medium" from 20 (where a couple of extra
 * points from a receiver's own rules, reputation or Bayes could tip it), "low" below.
 */
import { analyseHtml } from "./html-analysis";
import { RULES, type Analysed, type Finding } from "./rules";

export type { Finding, RuleId, Target } from "./rules";
export { RULE_IDS } from "./rules";

export type ContentCheckInput = {
  subject: string;
  html: string;
  /** The hand-written plain-text part; null or blank when the message gets one generated from the HTML. */
  text?: string | null;
  attachments?: { fileName: string; sizeBytes: number }[];
};

export type RiskLevel = "low" | "medium" | "high";
export type ContentCheck = { score: number; level: RiskLevel; findings: Finding[] };
/** A stored version's check, with what the console needs to link each finding to the place to change it. */
export type VersionContentCheck = ContentCheck & { templateId: string; version: number };

export const MEDIUM_FROM = 20;
export const HIGH_FROM = 50;
export const SCORE_MAX = 100;
/** Subject characters looked at: far beyond any inbox's display. */
const MAX_SUBJECT_CHARS = 2_000;
const MAX_TEXT_CHARS = 500_000;

export function levelOf(score: number): RiskLevel {
  return score >= HIGH_FROM ? "high" : score >= MEDIUM_FROM ? "medium" : "low";
}

export function checkContent(input: ContentCheckInput): ContentCheck {
  const text = input.text?.trim() ? input.text.slice(0, MAX_TEXT_CHARS) : null;
  const analysed: Analysed = {
    subject: input.subject.slice(0, MAX_SUBJECT_CHARS),
    html: input.html,
    text,
    analysis: analyseHtml(input.html),
    attachments: input.attachments ?? [],
  };
  const findings = RULES.map((rule) => rule(analysed))
    .filter((found): found is Finding => found !== null)
    .sort((a, b) => b.points - a.points);
  const score = Math.min(SCORE_MAX, findings.reduce((sum, found) => sum + found.points, 0));
  return { score, level: levelOf(score), findings };
}
