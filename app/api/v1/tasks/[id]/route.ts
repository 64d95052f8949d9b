import { defineRoute, json } from "@/lib/entry/route";
import { getTask } from "@/lib/sending/tasks";

export const GET = defineRoute<{ id: string }>({
  permission: "reports.view",
  handle: async (ctx, _request, { id }) => json(await getTask(ctx, id)),
});
