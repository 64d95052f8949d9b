import { defineRoute, json } from "@/lib/entry/route";
import { getDelivery } from "@/lib/sending/deliveries";

export const GET = defineRoute<{ id: string }>({
  permission: "reports.view",
  handle: async (ctx, _request, { id }) => json(await getDelivery(ctx, id)),
});
