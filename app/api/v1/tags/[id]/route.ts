import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
import { deleteTag, renameTag } from "@/lib/audiences/tags";
import { publicTag } from "../public-tag";

export const PATCH = defineApiRoute(apiRoutes.renameTag, async (ctx, { params, body }) => publicTag(await renameTag(ctx, params.id, body)));

export const DELETE = defineApiRoute(apiRoutes.deleteTag, async (ctx, { params }) => deleteTag(ctx, params.id));
