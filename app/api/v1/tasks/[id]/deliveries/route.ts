import { defineRoute, json } from "@/lib/entry/route";
import { listDeliveries } from "@/lib/sending/deliveries";

export const GET = defineRoute<{ id: string }>({
  permission: "reports.view",
  handle: async (ctx, request, { id }) => {
    const params = new URL(request.url).searchParams;
    const limit = params.get("limit");
    return json(
      await listDeliveries(ctx, id, {
        status: params.get("status") ?? undefined,
        category: params.get("category") ?? undefined,
        q: params.get("q") ?? undefined,
        cursor: params.get("cursor") ?? undefined,
        limit: limit && /^\d+$/.test(limit) ? Number(limit) : undefined,
      }),
    );
  },
});
