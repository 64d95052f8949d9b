import { AppError } from "@/lib/errors";
import { resolveTargetDepartment } from "@/lib/auth/policy";
import { defineRoute, json } from "@/lib/entry/route";
import { MAX_ATTACHMENT_BYTES, storeAttachment } from "@/lib/templates/attachments";

/** Attachment upload from the editor: the raw file as the body, its name in ?name=. */
export const POST = defineRoute({
  permission: "templates.manage",
  auth: "session",
  handle: async (ctx, request) => {
    if (Number(request.headers.get("content-length") ?? 0) > MAX_ATTACHMENT_BYTES) {
      throw new AppError("payload_too_large", `An attachment may have at most ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MiB`);
    }
    const params = new URL(request.url).searchParams;
    const departmentId = resolveTargetDepartment(ctx.actor, params.get("department"));
    const content = Buffer.from(await request.arrayBuffer());
    const stored = await storeAttachment(ctx, departmentId, params.get("name") ?? "attachment", content);
    return json({ id: stored.id, fileName: stored.fileName, contentType: stored.contentType, sizeBytes: stored.sizeBytes }, 201);
  },
});
