import { defineRoute, json } from "@/lib/entry/route";
import { audienceSize } from "@/lib/sending/task-pages";

/** How many the task form's choice of pools would reach: `?department=&pool=…&pool=…`, or `all=1`. */
export const GET = defineRoute({
  permission: "tasks.manage",
  auth: "session",
  handle: async (ctx, request) => {
    const query = new URL(request.url).searchParams;
    const poolIds = query.get("all") === "1" ? ("all" as const) : query.getAll("pool");
    return json(await audienceSize(ctx, { departmentId: query.get("department"), poolIds }), 200, { "cache-control": "no-store" });
  },
});
