import { csvLine, csvResponse } from "@/lib/csv/write";
import { defineRoute } from "@/lib/entry/route";
import { getMessages } from "@/lib/i18n/server";
import { wordStoredReason } from "@/lib/pools/import";
import { loadImport } from "@/lib/pools/import-jobs";
import { importErrorLines } from "@/lib/pools/import-report";

/** The per-row error report of an import: line, reason, the value found, in the reader's language. */
export const GET = defineRoute<{ id: string }>({
  permission: "pools.manage",
  auth: "session",
  handle: async (ctx, _request, { id }) => {
    const job = await loadImport(ctx, id);
    const rows = await importErrorLines(ctx, id);
    const { t } = await getMessages();
    const columns = t.imports.errorColumns;
    async function* lines() {
      yield csvLine([columns.line, columns.reason, columns.value]);
      for await (const row of rows) yield csvLine([row.line, wordStoredReason(t.server, row.reason, row.params), row.value]);
    }
    return csvResponse(lines(), `${job.fileName.replace(/\.[^.]+$/, "")}-errors.csv`);
  },
});
