import { z } from "zod";
import { defineRoute, json, readJson } from "@/lib/entry/route";
import { subscribe } from "@/lib/pools/subscribe";

const body = z.object({
  poolId: z.string().uuid(),
  email: z.string().max(1000),
  name: z.string().max(1000).optional(),
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  doubleOptIn: z.boolean().optional(),
});

export const POST = defineRoute({
  permission: "pools.manage",
  handle: async (ctx, request) => json(await subscribe(ctx, await readJson(request, body))),
});
