import { apiRoutes } from "@/lib/api/registry";
import { deleteAutomation, getAutomation } from "@/lib/automations/store";
import { defineApiRoute } from "@/lib/entry/api-route";

export const GET = defineApiRoute(apiRoutes.getAutomation, async (ctx, { params }) => getAutomation(ctx, params.id));

export const DELETE = defineApiRoute(apiRoutes.deleteAutomation, async (ctx, { params }) => deleteAutomation(ctx, params.id));
