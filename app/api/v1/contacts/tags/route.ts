import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
import { changeContactTags } from "@/lib/audiences/contact-tags";

export const POST = defineApiRoute(apiRoutes.changeContactTags, async (ctx, { body }) =>
  changeContactTags(ctx, { contactIds: body.contactIds, departmentId: body.departmentId }, { add: body.add, remove: body.remove }),
);
