import { AppError } from "@/lib/errors";
import { tableUploadChunks } from "@/lib/entry/body";
import { defineRoute, json } from "@/lib/entry/route";
import { MAX_IMPORT_BYTES, storeUpload } from "@/lib/pools/import-jobs";

/** Step one of the console import: the browser posts the file as the raw body. */
export const POST = defineRoute<{ id: string }>({
  permission: "pools.manage",
  auth: "session",
  handle: async (ctx, request, { id }) => {
    if (!request.body) throw new AppError("invalid_input", "noFileSent");
    const fileName = new URL(request.url).searchParams.get("name") ?? "upload.csv";
    return json(await storeUpload(ctx, id, fileName, tableUploadChunks(request, MAX_IMPORT_BYTES)), 201);
  },
});
