import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
import { taskReplies } from "@/lib/sending/task-replies";

export const GET = defineApiRoute(apiRoutes.listReplies, async (ctx, { params, query }) => {
  const answer = await taskReplies(ctx, params.id, { page: query.page, automatic: query.automatic === "true" });
  return { ...answer, replies: answer.replies.map((reply) => ({ ...reply, at: reply.at.toISOString() })) };
});
