import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
import { sendMessage } from "@/lib/messages/send";

export const POST = defineApiRoute(apiRoutes.sendMessage, async (ctx, { body, headers }) => (await sendMessage(ctx, body, headers["idempotency-key"])).answer);
