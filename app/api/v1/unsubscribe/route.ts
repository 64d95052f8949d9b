import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
import { unsubscribe } from "@/lib/pools/subscribe";

export const POST = defineApiRoute(apiRoutes.unsubscribe, async (ctx, { body }) => unsubscribe(ctx, body));
