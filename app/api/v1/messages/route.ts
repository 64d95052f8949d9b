import { IDEMPOTENCY_KEY_HEADER, sendMessageRequestSchema } from "@/lib/api/schemas/messages";
import { defineRoute, json, readJson } from "@/lib/entry/route";
import { sendMessage } from "@/lib/messages/send";

export const POST = defineRoute({
  permission: "tasks.manage",
  handle: async (ctx, request) => {
    const input = await readJson(request, sendMessageRequestSchema);
    const { answer } = await sendMessage(ctx, input, request.headers.get(IDEMPOTENCY_KEY_HEADER));
    return json(answer, 202);
  },
});
