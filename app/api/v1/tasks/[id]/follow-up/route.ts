import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
import { createFollowUp } from "@/lib/sending/follow-up";

export const POST = defineApiRoute(apiRoutes.createFollowUp, async (ctx, { params, body }) => createFollowUp(ctx, params.id, body));
