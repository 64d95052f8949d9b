import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
import { listDeliveries } from "@/lib/sending/deliveries";

export const GET = defineApiRoute(apiRoutes.listDeliveries, async (ctx, { params, query }) => listDeliveries(ctx, params.id, query));
