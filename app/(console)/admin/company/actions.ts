"use server";

import { z } from "zod";
import { updateCompanyAccount } from "@/lib/accounts/company";
import { defineAction } from "@/lib/entry/action";
import { optionalQuota, requiredText } from "@/lib/entry/form-schemas";

export const updateCompany = defineAction({
  permission: "company.update",
  input: z.object({ name: requiredText(200), quotaTotal: optionalQuota }),
  run: (ctx, input) => updateCompanyAccount(ctx, input),
});
