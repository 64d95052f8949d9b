import { createWebhookRequest } from "@/lib/api/schemas/webhooks";
import { defineRoute, json, readJson } from "@/lib/entry/route";
import { createWebhookEndpoint, listWebhookEndpoints, type WebhookEndpointView } from "@/lib/webhooks/endpoints";

function publicWebhook(endpoint: Omit<WebhookEndpointView, "departmentName" | "createdBy" | "disabledAt">) {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: endpoint.events,
    departmentId: endpoint.departmentId,
    enabled: endpoint.enabled,
    disabledReason: endpoint.disabledReason,
    createdAt: endpoint.createdAt.toISOString(),
  };
}

export const GET = defineRoute({
  permission: "webhooks.manage",
  handle: async (ctx) => json((await listWebhookEndpoints(ctx, { limit: 200 })).rows.map(publicWebhook)),
});

export const POST = defineRoute({
  permission: "webhooks.manage",
  handle: async (ctx, request) => {
    const created = await createWebhookEndpoint(ctx, await readJson(request, createWebhookRequest));
    return json({ ...publicWebhook(created), secret: created.secret }, 201);
  },
});
