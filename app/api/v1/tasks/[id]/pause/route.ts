import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
import { pauseTask } from "@/lib/sending/tasks";

export const POST = defineApiRoute(apiRoutes.pauseTask, async (ctx, { params }) => pauseTask(ctx, params.id));
