import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
import { resumeTask } from "@/lib/sending/tasks";

export const POST = defineApiRoute(apiRoutes.resumeTask, async (ctx, { params }) => resumeTask(ctx, params.id));
