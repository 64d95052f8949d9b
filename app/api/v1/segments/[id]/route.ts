import { apiRoutes } from "@/lib/api/registry";
import { publicSegment } from "@/lib/audiences/segments/public";
import { deleteSegment, loadSegment, updateSegment } from "@/lib/audiences/segments/store";
import { defineApiRoute } from "@/lib/entry/api-route";

export const GET = defineApiRoute(apiRoutes.getSegment, async (ctx, { params }) => publicSegment(ctx, await loadSegment(ctx, params.id)));

export const PATCH = defineApiRoute(apiRoutes.updateSegment, async (ctx, { params, body }) => publicSegment(ctx, await updateSegment(ctx, params.id, body)));

export const DELETE = defineApiRoute(apiRoutes.deleteSegment, async (ctx, { params }) => {
  await deleteSegment(ctx, params.id);
  return { id: params.id, deleted: true };
});
