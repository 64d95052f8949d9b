import { resolveTargetDepartment } from "@/lib/access/policy";
import { readBodyBytes } from "@/lib/entry/body";
import { defineRoute, json } from "@/lib/entry/route";
import { MAX_ATTACHMENT_BYTES, storeAttachment } from "@/lib/templates/attachments";

/** Attachment upload from the editor: the raw file as the body, its name in ?name=. */
export const POST = defineRoute({
  permission: "templates.manage",
  auth: "session",
  handle: async (ctx, request) => {
    const params = new URL(request.url).searchParams;
    const departmentId = resolveTargetDepartment(ctx.actor, params.get("department"));
    const content = Buffer.from(await readBodyBytes(request, MAX_ATTACHMENT_BYTES));
    const stored = await storeAttachment(ctx, departmentId, params.get("name") ?? "attachment", content);
    return json({ id: stored.id, fileName: stored.fileName, contentType: stored.contentType, sizeBytes: stored.sizeBytes }, 201);
  },
});
