import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
import { subscribe } from "@/lib/pools/subscribe";

export const POST = defineApiRoute(apiRoutes.subscribe, async (ctx, { body }) => subscribe(ctx, body));
