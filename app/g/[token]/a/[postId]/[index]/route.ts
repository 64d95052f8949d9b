import { getDb } from "@/lib/database";
import { definePublicRoute } from "@/lib/entry/public-route";
import { AppError } from "@/lib/errors";
import { attachment } from "@/lib/groups/archive";
import { memberArchive } from "@/lib/groups/archive-access";
import { attachmentResponse } from "@/lib/groups/archive-download";

/** An attachment of a post, for a member's link: the link and the membership checked on every download. */
export const GET = definePublicRoute<{ token: string; postId: string; index: string }>({
  handle: async ({ params }) => {
    const opened = await memberArchive(await getDb(), params.token);
    if (!opened) return new Response("No access", { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff" } });
    const index = /^\d{1,4}$/.test(params.index) ? Number(params.index) : -1;
    try {
      return attachmentResponse(await attachment(opened.archive, params.postId, index));
    } catch (error) {
      if (error instanceof AppError && error.code === "not_found") return new Response("Not found", { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } });
      throw error;
    }
  },
});
