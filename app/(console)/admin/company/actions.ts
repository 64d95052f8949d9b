"use server";

import { z } from "zod";
import { updateCompanyAccount } from "@/lib/accounts/company";
import { writePhoneRegion, writeSetting } from "@/lib/accounts/settings";
import { defineAction } from "@/lib/entry/action";
import { writeGuardThresholds } from "@/lib/guard/settings";
import { setRetentionMonths as setMonths } from "@/lib/privacy/retention";
import { readGuardThresholds } from "@/lib/guard/thresholds";
import { optionalQuota, requiredText } from "@/lib/entry/form-schemas";

export const updateCompany = defineAction({
  permission: "company.update",
  input: z.object({ name: requiredText(200), quotaTotal: optionalQuota }),
  run: (ctx, input) => updateCompanyAccount(ctx, input),
});

/** Whether every task's template must carry an unsubscribe link; audited as settings.update. */
export const setRequireUnsubscribeLink = defineAction({
  permission: "company.update",
  input: z.object({ required: z.enum(["true", "false"]).transform((value) => value === "true") }),
  run: (ctx, { required }) => writeSetting(ctx, "requireUnsubscribeLink", required),
});

/** Whether every SMS ends with the carriers' opt-out sentence (lib/sending/channel.ts); audited as settings.update. */
export const setSmsOptOutSuffix = defineAction({
  permission: "company.update",
  input: z.object({ optOutSuffix: z.enum(["true", "false"]).transform((value) => value === "true") }),
  run: (ctx, { optOutSuffix }) => writeSetting(ctx, "smsOptOutSuffix", optOutSuffix),
});

const percent = z.coerce.number().gt(0, "must be above 0").max(100, "must be at most 100");

/** The reputation guard's thresholds (lib/guard); each change audited as settings.update. */
export const setGuardThresholds = defineAction({
  permission: "company.update",
  input: z.object({ hardBounces: percent, unknownUsers: percent, complaints: percent, minAnswers: z.coerce.number().int("must be a whole number").min(1, "must be at least 1").max(10_000_000) }),
  run: async (ctx, input) => writeGuardThresholds(ctx, input, await readGuardThresholds(ctx.db)),
});

/** "Delete per-delivery personal data older than N months" (decision 0079); empty turns it off. Audited as settings.update. */
export const setRetentionMonths = defineAction({
  permission: "company.update",
  input: z.object({ months: z.string().trim().max(4).regex(/^\d*$/, "must be a whole number").transform((value) => (value === "" ? null : Number(value))) }),
  run: (ctx, { months }) => setMonths(ctx, months),
});

/** The region national phone numbers are read in (issue 21): imports and contact edits. Audited as settings.update. */
export const setPhoneRegion = defineAction({
  permission: "company.update",
  input: z.object({ region: z.string().trim().min(2, "is required").max(2, "is a two-letter region code") }),
  run: (ctx, { region }) => writePhoneRegion(ctx, region),
});
