import { defineRoute, json } from "@/lib/entry/route";
import { loadTaskProgress } from "@/lib/sending/task-pages";

/** The task's progress bar polls this while the task is scheduled or sending. */
export const GET = defineRoute<{ id: string }>({
  permission: "tasks.view",
  auth: "session",
  handle: async (ctx, _request, { id }) => json(await loadTaskProgress(ctx, id), 200, { "cache-control": "no-store" }),
});
