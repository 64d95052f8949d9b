import { defineRoute, json } from "@/lib/entry/route";
import { listSenders } from "@/lib/senders/senders";

export const GET = defineRoute({
  permission: "senders.manage",
  handle: async (ctx) =>
    json(
      (await listSenders(ctx)).map((sender) => ({
        id: sender.id,
        address: sender.address,
        name: sender.name,
        domain: sender.domain,
        domainStatus: sender.domainStatus,
        departmentId: sender.departmentId,
      })),
    ),
});
