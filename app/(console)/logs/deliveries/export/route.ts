import { readEnv } from "@/lib/config/env";
import { csvResponse } from "@/lib/csv/write";
import { defineRoute } from "@/lib/entry/route";
import { exportDeliveries } from "@/lib/reports/delivery-export";
import { zonedDate } from "@/lib/time/zone";
import { deliveryLogFilters } from "../filters";

/** The delivery log for the page's filters as a streamed CSV (UTF-8 with BOM, at most 100,000 rows). */
export const GET = defineRoute({
  permission: "reports.view",
  auth: "session",
  handle: async (ctx, request) => {
    const params = new URL(request.url).searchParams;
    const { before: _cursor, ...filters } = deliveryLogFilters((name) => params.get(name));
    const { timeZone } = readEnv();
    const lines = await exportDeliveries(ctx, filters, { timeZone });
    return csvResponse(lines, `delivery-log-${zonedDate(new Date(), timeZone)}.csv`);
  },
});
