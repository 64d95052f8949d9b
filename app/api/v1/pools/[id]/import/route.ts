import { apiRoutes } from "@/lib/api/registry";
import { AppError } from "@/lib/errors";
import { defineApiRoute } from "@/lib/entry/api-route";
import { tableUploadChunks } from "@/lib/entry/body";
import { importTable } from "@/lib/pools/import-csv";
import { MAX_IMPORT_BYTES } from "@/lib/pools/import-jobs";

export const POST = defineApiRoute(apiRoutes.importContacts, async (ctx, { params, query, headers }, request) => {
  if (!request.body) throw new AppError("invalid_input", "csvBodyMissing");
  const type = headers["content-type"];
  const format = /tab-separated/i.test(type) ? "tsv" : /spreadsheetml/i.test(type) ? "xlsx" : "csv";
  return importTable(ctx, params.id, tableUploadChunks(request, MAX_IMPORT_BYTES), { format, skipHygiene: query.skip ?? [], tags: query.tags, tagsColumn: query.tagsColumn, consent: query.consent });
});
