import { apiRoutes } from "@/lib/api/registry";
import { countRule } from "@/lib/audiences/segments/public";
import { defineApiRoute } from "@/lib/entry/api-route";

export const POST = defineApiRoute(apiRoutes.countSegment, async (ctx, { body }) => countRule(ctx, body));
