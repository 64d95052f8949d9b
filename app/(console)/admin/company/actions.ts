"use server";

import { z } from "zod";
import { updateCompanyAccount } from "@/lib/accounts/company";
import { writeSetting } from "@/lib/accounts/settings";
import { defineAction } from "@/lib/entry/action";
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
