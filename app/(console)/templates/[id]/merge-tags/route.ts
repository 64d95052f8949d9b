import { defineRoute, json } from "@/lib/entry/route";
import { resolveTargetDepartment } from "@/lib/access/policy";
import { attributeNames } from "@/lib/pools/attribute-names";

/** The merge-tag picker's contact attribute names for `?department=` (the caller's own when left out); changes nothing. */
export const GET = defineRoute({
  permission: "templates.manage",
  auth: "session",
  handle: async (ctx, request) => {
    const departmentId = resolveTargetDepartment(ctx.actor, new URL(request.url).searchParams.get("department"));
    return json({ attributes: await attributeNames(ctx, departmentId) }, 200, { "cache-control": "no-store" });
  },
});
