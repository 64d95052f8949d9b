import { AppError } from "@/lib/errors";
import { defineRoute, json } from "@/lib/entry/route";
import { MAX_IMPORT_BYTES, storeUpload } from "@/lib/pools/import-jobs";

/** Step one of the console import: the browser posts the file as the raw body. */
export const POST = defineRoute<{ id: string }>({
  permission: "pools.manage",
  auth: "session",
  handle: async (ctx, request, { id }) => {
    if (Number(request.headers.get("content-length") ?? 0) > MAX_IMPORT_BYTES) {
      throw new AppError("payload_too_large", `The file is larger than ${Math.round(MAX_IMPORT_BYTES / 1024 / 1024)} MiB`);
    }
    if (!request.body) throw new AppError("invalid_input", "No file was sent");
    const fileName = new URL(request.url).searchParams.get("name") ?? "upload.csv";
    return json(await storeUpload(ctx, id, fileName, request.body), 201);
  },
});
