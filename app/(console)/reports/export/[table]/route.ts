import { csvResponse } from "@/lib/csv/write";
import { readEnv } from "@/lib/config/env";
import { defineRoute } from "@/lib/entry/route";
import { notFound } from "@/lib/errors";
import { getMessages } from "@/lib/i18n/server";
import { readChannel } from "@/lib/reports/channel-dimension";
import { rangeOfQuery } from "@/lib/reports/periods";
import { failureReportCsv, sendReportCsv } from "@/lib/reports/csv";
import { failureReport, sendReport } from "@/lib/reports/queries";
import { readBy } from "../../range";

/**
 * /reports/export/sends and /reports/export/failures: the whole table of the page (every page of
 * it) for the same period and channel, headed in the reader's language. A range that cannot be read is a 400,
 * not a silently different file.
 */
export const GET = defineRoute<{ table: string }>({
  permission: "reports.view",
  auth: "session",
  handle: async (ctx, request, { table }) => {
    const params = new URL(request.url).searchParams;
    const range = rangeOfQuery(params, new Date(), readEnv().timeZone);
    const { t } = await getMessages();
    const c = t.reports.columns;
    const name = (kind: string) => `${kind}-${range.from}-${range.to}.csv`;
    if (table === "sends") {
      const report = await sendReport(ctx, range, readChannel(params.get("channel")));
      return csvResponse(sendReportCsv(report.rows, [c.date, c.department, c.ip, c.domain, c.sent]), name("sends"));
    }
    if (table === "failures") {
      const by = readBy(params.get("by"));
      const report = await failureReport(ctx, range, by, readChannel(params.get("channel")));
      const k = t.reports.categories;
      const domain = by === "recipient" ? c.recipientDomain : c.senderDomain;
      return csvResponse(
        failureReportCsv(report.rows, [c.date, c.department, domain, c.failed, k.user_unknown, k.mailbox_full, k.rejected, k.other], t.reports.otherDomains),
        name(by === "recipient" ? "failures-by-recipient" : "failures"),
      );
    }
    throw notFound("reportTable");
  },
});
