import { defineRoute, json } from "@/lib/entry/route";
import { cancelTask } from "@/lib/sending/tasks";

export const POST = defineRoute<{ id: string }>({
  permission: "tasks.manage",
  handle: async (ctx, _request, { id }) => json(await cancelTask(ctx, id)),
});
