import { AppError } from "@/lib/errors";
import { tableUploadChunks } from "@/lib/entry/body";
import { defineRoute, json } from "@/lib/entry/route";
import { importTable } from "@/lib/pools/import-csv";
import { MAX_IMPORT_BYTES } from "@/lib/pools/import-jobs";

export const POST = defineRoute<{ id: string }>({
  permission: "pools.manage",
  handle: async (ctx, request, { id }) => {
    if (!request.body) throw new AppError("invalid_input", "csvBodyMissing");
    const type = request.headers.get("content-type") ?? "text/csv";
    const format = /tab-separated/i.test(type) ? "tsv" : /spreadsheetml/i.test(type) ? "xlsx" : /csv|text\/plain/i.test(type) ? "csv" : undefined;
    if (!format) throw new AppError("invalid_input", "contentTypeRefused", { params: { type } });
    const report = await importTable(ctx, id, tableUploadChunks(request, MAX_IMPORT_BYTES), { format });
    return json(report);
  },
});
