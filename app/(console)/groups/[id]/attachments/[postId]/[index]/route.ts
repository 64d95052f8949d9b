import { defineRoute } from "@/lib/entry/route";
import { attachment, consoleArchive } from "@/lib/groups/archive";
import { attachmentResponse } from "@/lib/groups/archive-download";

/** An attachment of a group's post, for the department in the console (tasks.view on the group's department). */
export const GET = defineRoute<{ id: string; postId: string; index: string }>({
  permission: "tasks.view",
  auth: "session",
  handle: async (ctx, _request, params) => {
    const index = /^\d{1,4}$/.test(params.index) ? Number(params.index) : -1;
    return attachmentResponse(await attachment(await consoleArchive(ctx, params.id), params.postId, index));
  },
});
