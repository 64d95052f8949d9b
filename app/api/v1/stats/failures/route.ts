import { apiRoutes } from "@/lib/api/registry";
import { readEnv } from "@/lib/config/env";
import { defineApiRoute } from "@/lib/entry/api-route";
import { resolvePeriod } from "@/lib/reports/periods";
import { failureReport } from "@/lib/reports/queries";

export const GET = defineApiRoute(apiRoutes.failureReport, async (ctx, { query }) => {
  const range = resolvePeriod(query, new Date(), readEnv().timeZone);
  return { period: range.period, by: query.by, ...(await failureReport(ctx, range, query.by, query.channel)) };
});
