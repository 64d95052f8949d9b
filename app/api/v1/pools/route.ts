import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
import { createPool, listPools } from "@/lib/pools/pools";

function publicPool(pool: { id: string; name: string; description: string; contactCount: number; departmentId: string }) {
  return { id: pool.id, name: pool.name, description: pool.description, contactCount: pool.contactCount, departmentId: pool.departmentId };
}

export const GET = defineApiRoute(apiRoutes.listPools, async (ctx) => (await listPools(ctx)).map(publicPool));

export const POST = defineApiRoute(apiRoutes.createPool, async (ctx, { body }) => publicPool(await createPool(ctx, body)));
