import { apiRoutes } from "@/lib/api/registry";
import { createAutomation, listAutomations } from "@/lib/automations/store";
import { defineApiRoute } from "@/lib/entry/api-route";

export const GET = defineApiRoute(apiRoutes.listAutomations, async (ctx) => listAutomations(ctx));

export const POST = defineApiRoute(apiRoutes.createAutomation, async (ctx, { body }) => createAutomation(ctx, body));
