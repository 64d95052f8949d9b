import { apiRoutes } from "@/lib/api/registry";
import { setAutomationStatus } from "@/lib/automations/store";
import { defineApiRoute } from "@/lib/entry/api-route";

export const POST = defineApiRoute(apiRoutes.resumeAutomation, async (ctx, { params }) => setAutomationStatus(ctx, params.id, "active"));
