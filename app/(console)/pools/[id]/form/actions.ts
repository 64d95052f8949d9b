"use server";

import { defineAction } from "@/lib/entry/action";
import { uuid } from "@/lib/entry/form-schemas";
import { signupFormSettings } from "@/lib/forms/settings";
import { saveSignupForm as save } from "@/lib/forms/store";

export const saveSignupForm = defineAction({
  permission: "pools.manage",
  input: signupFormSettings.extend({ poolId: uuid }),
  run: async (ctx, { poolId, ...settings }) => ({ id: (await save(ctx, poolId, settings)).id }),
});
