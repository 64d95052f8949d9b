import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
import { createTag, listTags } from "@/lib/audiences/tags";
import { publicTag } from "./public-tag";

export const GET = defineApiRoute(apiRoutes.listTags, async (ctx, { query }) => (await listTags(ctx, { departmentId: query.departmentId })).map(publicTag));

export const POST = defineApiRoute(apiRoutes.createTag, async (ctx, { body }) => publicTag(await createTag(ctx, body)));
