import "server-only";
import type { Ctx } from "@/lib/access/context";
import { authorize } from "@/lib/access/policy";
import { writeSetting } from "@/lib/accounts/settings";
import type { GuardThresholds } from "./thresholds";

/** Sets the company's guard thresholds; each changed value is its own audited settings.update row. */
export async function writeGuardThresholds(ctx: Ctx, next: GuardThresholds, current: GuardThresholds): Promise<void> {
  authorize(ctx.actor, "company.update");
  if (next.hardBounces !== current.hardBounces) await writeSetting(ctx, "guardHardBouncePercent", next.hardBounces);
  if (next.unknownUsers !== current.unknownUsers) await writeSetting(ctx, "guardUnknownUserPercent", next.unknownUsers);
  if (next.complaints !== current.complaints) await writeSetting(ctx, "guardComplaintPercent", next.complaints);
  if (next.minAnswers !== current.minAnswers) await writeSetting(ctx, "guardMinAnswers", next.minAnswers);
}
