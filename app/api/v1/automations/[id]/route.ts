import { apiRoutes } from "@/lib/api/registry";
import { getAutomation } from "@/lib/automations/store";
import { defineApiRoute } from "@/lib/entry/api-route";

export const GET = defineApiRoute(apiRoutes.getAutomation, async (ctx, { params }) => getAutomation(ctx, params.id));
