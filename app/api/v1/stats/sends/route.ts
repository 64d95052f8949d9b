import { readEnv } from "@/lib/config/env";
import { defineRoute, json } from "@/lib/entry/route";
import { rangeOfQuery } from "@/lib/reports/periods";
import { sendReport } from "@/lib/reports/queries";

export const GET = defineRoute({
  permission: "reports.view",
  handle: async (ctx, request) => {
    const params = new URL(request.url).searchParams;
    const range = rangeOfQuery(params, new Date(), readEnv().timeZone);
    return json({ period: range.period, ...(await sendReport(ctx, range)) });
  },
});
