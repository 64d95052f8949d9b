import { apiRoutes } from "@/lib/api/registry";
import { defineApiRoute } from "@/lib/entry/api-route";
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

export const GET = defineApiRoute(apiRoutes.listWebhooks, async (ctx) => (await listWebhookEndpoints(ctx, { limit: 200 })).rows.map(publicWebhook));

export const POST = defineApiRoute(apiRoutes.createWebhook, async (ctx, { body }) => {
  const created = await createWebhookEndpoint(ctx, body);
  return { ...publicWebhook(created), secret: created.secret };
});
