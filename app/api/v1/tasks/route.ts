import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
import { createTask } from "@/lib/sending/tasks";

export const POST = defineApiRoute(apiRoutes.createTask, async (ctx, { body }) => createTask(ctx, { ...body, scheduledAt: body.scheduledAt ? new Date(body.scheduledAt) : null }));
