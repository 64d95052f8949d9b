import { z } from "zod";
import { defineRoute, json, readJson } from "@/lib/entry/route";
import { unsubscribe } from "@/lib/pools/subscribe";

const body = z.object({ email: z.string().max(1000), poolId: z.string().uuid().optional(), departmentId: z.string().uuid().optional() });

export const POST = defineRoute({
  permission: "pools.manage",
  handle: async (ctx, request) => json(await unsubscribe(ctx, await readJson(request, body))),
});
