import { defineRoute, json } from "@/lib/entry/route";
import { TASK_CHANNELS_OFFERED } from "@/lib/sending/channel";
import { audienceSize } from "@/lib/sending/task-pages";

/** How many the task form's choice of pools and segments would reach: `?department=&pool=…&pool=…&segment=…`, or `all=1`; `channel=sms` or `whatsapp` counts the contacts that channel reaches. */
export const GET = defineRoute({
  permission: "tasks.manage",
  auth: "session",
  handle: async (ctx, request) => {
    const query = new URL(request.url).searchParams;
    const poolIds = query.get("all") === "1" ? ("all" as const) : query.getAll("pool");
    const channel = TASK_CHANNELS_OFFERED.find((offered) => offered === query.get("channel")) ?? "email";
    return json(await audienceSize(ctx, { departmentId: query.get("department"), poolIds, segmentIds: query.getAll("segment"), channel }), 200, { "cache-control": "no-store" });
  },
});
