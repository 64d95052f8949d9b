import { defineRoute, json } from "@/lib/entry/route";
import { getMessages } from "@/lib/i18n/server";
import { importProgress } from "@/lib/pools/import-report";

/** The progress bar polls this; a failure is worded in the viewer's language. */
export const GET = defineRoute<{ id: string }>({
  permission: "pools.manage",
  auth: "session",
  handle: async (ctx, _request, { id }) => {
    const { t } = await getMessages();
    return json(await importProgress(ctx, id, t.server), 200, { "cache-control": "no-store" });
  },
});
