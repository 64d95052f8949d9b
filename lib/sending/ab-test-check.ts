import "server-only";
import { AB_METRICS, type AbMetric, type AbTestConfig, type AbVariant } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { AppError, invalidInput } from "@/lib/errors";
import { assertTemplateUsable } from "@/lib/templates/store";
import { variantLetter } from "@/lib/campaigns/ab-winner";
import { AB_LIMITS } from "@/lib/campaigns/limits";
import { checkedSubject } from "./task-subject";

export { AB_LIMITS, variantLetter };

/* What a task's A/B test may be (issue 18, decision 0094), checked when the task is created or edited. */

export type AbTestInput = { variants: AbVariant[]; sharePercent: number; metric: AbMetric; waitHours: number; winnerBy?: "rule" | "hand" };

/** What the task would send without a test: the variant fields' defaults. */
type TaskBasics = { channel: string; templateId: string; templateVersion: number; fromName: string; limit: number | null; requireUnsubscribe: (html: string) => boolean };

/**
 * Checks a task's A/B test and answers it as stored: each variant's subject checked against the
 * version it goes with, a field equal to the task's own left out, and no two variants alike.
 */
export async function checkAbTest(ctx: Ctx, input: AbTestInput, task: TaskBasics): Promise<AbTestConfig> {
  if (task.channel !== "email") throw invalidInput("abTestEmailOnly", { field: "abTest" });
  if (task.limit !== null) throw invalidInput("abTestWithLimit", { field: "limit" });
  const { variants } = input;
  if (!Array.isArray(variants) || variants.length < AB_LIMITS.minVariants || variants.length > AB_LIMITS.maxVariants) {
    throw invalidInput("abVariantCount", { field: "abTest.variants", params: { min: AB_LIMITS.minVariants, max: AB_LIMITS.maxVariants } });
  }
  if (!Number.isInteger(input.sharePercent) || input.sharePercent < AB_LIMITS.minShare || input.sharePercent > AB_LIMITS.maxShare) {
    throw invalidInput("abShareOutOfRange", { field: "abTest.sharePercent", params: { min: AB_LIMITS.minShare, max: AB_LIMITS.maxShare } });
  }
  if (!(input.waitHours >= 1 && input.waitHours <= AB_LIMITS.maxWaitHours) || !Number.isInteger(input.waitHours)) {
    throw invalidInput("abWaitOutOfRange", { field: "abTest.waitHours", params: { max: AB_LIMITS.maxWaitHours } });
  }
  if (!AB_METRICS.includes(input.metric)) throw invalidInput("abMetricUnknown", { field: "abTest.metric" });

  const checked: AbVariant[] = [];
  for (const [index, given] of variants.entries()) {
    const variant = variantLetter(index);
    const version = given.templateVersion ?? task.templateVersion;
    if (!Number.isInteger(version) || version < 1) throw invalidInput("abVariantVersionMissing", { field: "abTest.variants", params: { variant, version: String(version) } });
    const template = await assertTemplateUsable(ctx, task.templateId, version).catch((error: unknown) => {
      throw error instanceof AppError && error.code === "not_found" ? invalidInput("abVariantVersionMissing", { field: "abTest.variants", params: { variant, version } }) : error;
    });
    if (version !== task.templateVersion && !task.requireUnsubscribe(template.content.html)) throw invalidInput("unsubscribeLinkRequired", { field: "abTest.variants", params: { variant } });
    const subject = checkedSubject(given.subject, template.content, { field: "abTest.variants", reason: "abVariantSubjectInvalid", params: { variant } });
    const fromName = (given.fromName ?? "").trim();
    if (fromName.length > 200 || /[\r\n]/.test(fromName)) throw invalidInput("abVariantFromNameInvalid", { field: "abTest.variants", params: { variant } });
    checked.push({
      subject: subject === null || subject === template.content.subject ? null : subject,
      fromName: fromName === "" || fromName === task.fromName ? null : fromName,
      templateVersion: version === task.templateVersion ? null : version,
    });
  }
  const sameness = (variant: AbVariant) => JSON.stringify([variant.subject, variant.fromName, variant.templateVersion]);
  for (const [index, variant] of checked.entries()) {
    const same = checked.findIndex((other) => sameness(other) === sameness(variant));
    if (same < index) throw invalidInput("abVariantSame", { field: "abTest.variants", params: { variant: variantLetter(index), same: variantLetter(same) } });
  }
  return { variants: checked, sharePercent: input.sharePercent, metric: input.metric, waitHours: input.waitHours, winnerBy: input.winnerBy ?? "rule" };
}

