"use server";

import { z } from "zod";
import { createApiKey as create, revokeApiKey as revoke } from "@/lib/accounts/api-keys";
import { defineAction } from "@/lib/entry/action";
import { optionalText, uuid } from "@/lib/entry/form-schemas";

export const createApiKey = defineAction({
  permission: "apikey.manage",
  input: z.object({ name: optionalText(100), scope: z.union([z.literal("company"), uuid]) }),
  run: (ctx, { name, scope }) =>
    create(ctx, { name, scope: scope === "company" ? { company: true } : { company: false, departmentId: scope } }),
});

export const revokeApiKey = defineAction({
  permission: "apikey.manage",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => revoke(ctx, id),
});
