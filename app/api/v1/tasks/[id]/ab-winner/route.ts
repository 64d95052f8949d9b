import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
import { chooseAbWinner } from "@/lib/sending/ab-test-actions";

export const POST = defineApiRoute(apiRoutes.chooseAbWinner, async (ctx, { params, body }) => chooseAbWinner(ctx, params.id, body.variant.charCodeAt(0) - 65));
