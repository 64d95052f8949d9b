import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
import { listSenders } from "@/lib/senders/senders";

export const GET = defineApiRoute(apiRoutes.listSenders, async (ctx) =>
  (await listSenders(ctx)).map((sender) => ({
    id: sender.id,
    address: sender.address,
    name: sender.name,
    domain: sender.domain,
    domainStatus: sender.domainStatus,
    departmentId: sender.departmentId,
  })),
);
