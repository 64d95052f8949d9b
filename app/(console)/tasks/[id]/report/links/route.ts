import { csvLine, csvResponse } from "@/lib/csv/write";
import { defineRoute } from "@/lib/entry/route";
import { getMessages } from "@/lib/i18n/server";
import { taskReport } from "@/lib/reports/queries";

/** /tasks/:id/report/links: the task's top links as CSV, headed in the reader's language. */
export const GET = defineRoute<{ id: string }>({
  permission: "reports.view",
  auth: "session",
  handle: async (ctx, _request, { id }) => {
    const { task, topLinks } = await taskReport(ctx, id);
    const { t } = await getMessages();
    const r = t.reports.task;
    async function* lines() {
      yield csvLine([r.url, r.uniqueClicks, r.clicks, r.machineClicks]);
      for (const link of topLinks) yield csvLine([link.url, link.uniqueClicks, link.clicks, link.machineClicks]);
    }
    return csvResponse(lines(), `${task.name}-links.csv`);
  },
});
