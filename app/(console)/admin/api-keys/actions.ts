"use server";

import { z } from "zod";
import { createApiKey as create, MAX_KEY_RATE_LIMIT, revokeApiKey as revoke, setApiKeyRateLimit as setRateLimit } from "@/lib/accounts/api-keys";
import { defineAction } from "@/lib/entry/action";
import { apiKeyLimiter } from "@/lib/entry/rate-limit";
import { optionalText, uuid } from "@/lib/entry/form-schemas";

/** Requests a minute typed into a form: empty means the server's default (null). */
const rateLimit = z.preprocess(
  (value) => (value === "" || value === undefined || value === null ? null : value),
  z.coerce.number().int("must be a whole number").min(1).max(MAX_KEY_RATE_LIMIT).nullable(),
);

export const createApiKey = defineAction({
  permission: "apikey.manage",
  input: z.object({ name: optionalText(100), scope: z.union([z.literal("company"), uuid]), rateLimit }),
  run: (ctx, { name, scope, rateLimit }) =>
    create(ctx, { name, scope: scope === "company" ? { company: true } : { company: false, departmentId: scope }, rateLimitPerMinute: rateLimit }),
});

export const revokeApiKey = defineAction({
  permission: "apikey.manage",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => revoke(ctx, id),
});

export const setApiKeyRateLimit = defineAction({
  permission: "apikey.manage",
  input: z.object({ id: uuid, rateLimit }),
  run: async (ctx, { id, rateLimit }) => {
    const changed = await setRateLimit(ctx, id, rateLimit);
    // This server counts the key at its new rate from its next request; another process learns it at the key's next request it lets through.
    apiKeyLimiter.remember(changed.secretHash, changed.rateLimitPerMinute);
  },
});
