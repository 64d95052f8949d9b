import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
import { getDelivery } from "@/lib/sending/deliveries";

export const GET = defineApiRoute(apiRoutes.getDelivery, async (ctx, { params }) => getDelivery(ctx, params.id));
