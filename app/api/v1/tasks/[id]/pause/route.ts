import { defineRoute, json } from "@/lib/entry/route";
import { pauseTask } from "@/lib/sending/tasks";

export const POST = defineRoute<{ id: string }>({
  permission: "tasks.manage",
  handle: async (ctx, _request, { id }) => json(await pauseTask(ctx, id)),
});
