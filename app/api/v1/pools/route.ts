import { z } from "zod";
import { defineRoute, json, readJson } from "@/lib/entry/route";
import { createPool, listPools } from "@/lib/pools/pools";

const poolBody = z.object({
  name: z.string().trim().min(1).max(100),
  description: z.string().trim().max(500).optional(),
  departmentId: z.string().uuid().optional(),
});

function publicPool(pool: { id: string; name: string; description: string; contactCount: number; departmentId: string }) {
  return { id: pool.id, name: pool.name, description: pool.description, contactCount: pool.contactCount, departmentId: pool.departmentId };
}

export const GET = defineRoute({
  permission: "pools.manage",
  handle: async (ctx) => json((await listPools(ctx)).map(publicPool)),
});

export const POST = defineRoute({
  permission: "pools.manage",
  handle: async (ctx, request) => json(publicPool(await createPool(ctx, await readJson(request, poolBody))), 201),
});
