import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
import { cancelTask } from "@/lib/sending/tasks";

export const POST = defineApiRoute(apiRoutes.cancelTask, async (ctx, { params }) => cancelTask(ctx, params.id));
