import { CONTACT_STATUSES, type ContactStatus } from "@/db/schema";
import { csvResponse } from "@/lib/csv/write";
import { defineRoute } from "@/lib/entry/route";
import { exportContacts } from "@/lib/pools/export";
import { HYGIENE_FLAGS } from "@/lib/pools/hygiene/flags";
import { loadPool } from "@/lib/pools/pools";

export const GET = defineRoute<{ id: string }>({
  permission: "pools.manage",
  auth: "session",
  handle: async (ctx, request, { id }) => {
    const params = new URL(request.url).searchParams;
    const status = params.get("status");
    const pool = await loadPool(ctx, id);
    const lines = await exportContacts(ctx, { poolId: pool.id }, {
      q: params.get("q") ?? undefined,
      status: (CONTACT_STATUSES as readonly string[]).includes(status ?? "") ? (status as ContactStatus) : undefined,
      hygiene: HYGIENE_FLAGS.find((flag) => flag === params.get("hygiene")),
      tag: params.get("tag") ?? undefined,
    });
    return csvResponse(lines, `${pool.name}.csv`);
  },
});
