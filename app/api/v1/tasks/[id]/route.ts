import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
import { getTask } from "@/lib/sending/tasks";

export const GET = defineApiRoute(apiRoutes.getTask, async (ctx, { params }) => getTask(ctx, params.id));
