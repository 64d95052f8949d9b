import { readEnv } from "@/lib/config/env";
import { defineRoute, json } from "@/lib/entry/route";
import { invalidInput } from "@/lib/errors";
import { rangeOfQuery } from "@/lib/reports/periods";
import { failureReport } from "@/lib/reports/queries";

export const GET = defineRoute({
  permission: "reports.view",
  handle: async (ctx, request) => {
    const params = new URL(request.url).searchParams;
    const by = params.get("by") || "sender";
    if (by !== "sender" && by !== "recipient") throw invalidInput("failuresBy", { field: "by", params: { by } });
    const range = rangeOfQuery(params, new Date(), readEnv().timeZone);
    return json({ period: range.period, by, ...(await failureReport(ctx, range, by)) });
  },
});
