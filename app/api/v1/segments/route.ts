import { apiRoutes } from "@/lib/api/registry";
import { publicSegment } from "@/lib/audiences/segments/public";
import { createSegment, listSegments } from "@/lib/audiences/segments/store";
import { defineApiRoute } from "@/lib/entry/api-route";

export const GET = defineApiRoute(apiRoutes.listSegments, async (ctx) => {
  const segments = await listSegments(ctx, { counts: true });
  return Promise.all(segments.map((segment) => publicSegment(ctx, segment, segment.count ?? 0)));
});

export const POST = defineApiRoute(apiRoutes.createSegment, async (ctx, { body }) => publicSegment(ctx, await createSegment(ctx, body)));
