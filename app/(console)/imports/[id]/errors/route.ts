import { csvLine, csvResponse } from "@/lib/csv/write";
import { defineRoute } from "@/lib/entry/route";
import { importErrorLines, loadImport } from "@/lib/pools/import-jobs";

/** The per-row error report of an import: line, reason, the value found. */
export const GET = defineRoute<{ id: string }>({
  permission: "pools.manage",
  auth: "session",
  handle: async (ctx, _request, { id }) => {
    const job = await loadImport(ctx, id);
    const rows = await importErrorLines(ctx, id);
    async function* lines() {
      yield csvLine(["line", "reason", "value"]);
      for await (const row of rows) yield csvLine([row.line, row.reason, row.value]);
    }
    return csvResponse(lines(), `${job.fileName.replace(/\.[^.]+$/, "")}-errors.csv`);
  },
});
