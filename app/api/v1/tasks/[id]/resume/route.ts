import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
import { resumeTask } from "@/lib/sending/tasks";

export const POST = defineApiRoute(apiRoutes.resumeTask, async (ctx, { params, query }) => resumeTask(ctx, params.id, { ignoreGuard: query.ignoreGuard === "true" }));
