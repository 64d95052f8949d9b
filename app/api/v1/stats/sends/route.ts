import { readEnv } from "@/lib/config/env";
import { defineRoute, json } from "@/lib/entry/route";
import { resolvePeriod } from "@/lib/reports/periods";
import { sendReport } from "@/lib/reports/queries";

export const GET = defineRoute({
  permission: "reports.view",
  handle: async (ctx, request) => {
    const params = new URL(request.url).searchParams;
    const range = resolvePeriod({ period: params.get("period"), from: params.get("from"), to: params.get("to") }, new Date(), readEnv().timeZone);
    return json({ period: range.period, ...(await sendReport(ctx, range)) });
  },
});
