import { defineRoute, json } from "@/lib/entry/route";
import { importProgress } from "@/lib/pools/import-jobs";

/** The progress bar polls this. */
export const GET = defineRoute<{ id: string }>({
  permission: "pools.manage",
  auth: "session",
  handle: async (ctx, _request, { id }) => json(await importProgress(ctx, id), 200, { "cache-control": "no-store" }),
});
