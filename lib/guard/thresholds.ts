import "server-only";
import { inArray } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { settings, type GuardRule } from "@/db/schema";
import { SETTINGS } from "@/lib/accounts/settings";

export type GuardThresholds = Record<GuardRule, number> & { minAnswers: number };

const KEYS = { hardBounces: "guardHardBouncePercent", unknownUsers: "guardUnknownUserPercent", complaints: "guardComplaintPercent", minAnswers: "guardMinAnswers" } as const;

/** The company's thresholds (percent of answers), each its default until an admin sets it (decision 0071). */
export async function readGuardThresholds(db: Executor): Promise<GuardThresholds> {
  const rows = await db.select({ key: settings.key, value: settings.value }).from(settings).where(inArray(settings.key, Object.values(KEYS)));
  const stored = new Map(rows.map((row) => [row.key, row.value]));
  const read = (key: (typeof KEYS)[keyof typeof KEYS]) => {
    const value = stored.get(key);
    return typeof value === "number" && Number.isFinite(value) ? value : SETTINGS[key];
  };
  return { hardBounces: read(KEYS.hardBounces), unknownUsers: read(KEYS.unknownUsers), complaints: read(KEYS.complaints), minAnswers: read(KEYS.minAnswers) };
}

export type GuardCounts = { answers: number; hardBounces: number; unknownUsers: number; complaints: number };
export type Breach = { rule: GuardRule; rate: number; threshold: number; answers: number };

/**
 * The first rule past its threshold, or null. Nothing counts before `minAnswers` answers: on a
 * small sample one bad address is a rate of whole percents. Complaints first (the rule the
 * mailbox providers enforce hardest), then unknown users (the sharper sign of a bad list), then
 * hard bounces.
 */
export function breachOf(counts: GuardCounts, thresholds: GuardThresholds): Breach | null {
  if (counts.answers <= 0 || counts.answers < thresholds.minAnswers) return null;
  for (const rule of ["complaints", "unknownUsers", "hardBounces"] as const) {
    const rate = (counts[rule] * 100) / counts.answers;
    if (rate > thresholds[rule]) return { rule, rate: Math.round(rate * 100) / 100, threshold: thresholds[rule], answers: counts.answers };
  }
  return null;
}
