"use server";

import { z } from "zod";
import { defineAction } from "@/lib/entry/action";
import { eraseAddress } from "@/lib/privacy/erase";

/** Erases an address everywhere (admins only); `confirm` repeats the address. Audited as privacy.erase under the address's key. */
export const erasePersonalData = defineAction({
  permission: "privacy.manage",
  input: z.object({ email: z.string().trim().min(3, "is required").max(400), confirm: z.string().max(400) }),
  run: (ctx, input) => eraseAddress(ctx, input),
});
