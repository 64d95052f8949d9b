import "server-only";
import { z } from "zod";
import { WEBHOOK_DISABLED_REASONS, WEBHOOK_EVENT_TYPES } from "@/db/schema/webhooks";

/** `GET|POST /api/v1/webhooks` (API.md) and the body of what Fanout posts to a receiver. */

export const webhookEventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES);

export const createWebhookRequest = z.object({
  url: z.string().trim().min(1).max(2000).describe("http(s) URL of the receiver; loopback and private addresses are refused unless allowed"),
  events: z.array(webhookEventTypeSchema).min(1).max(WEBHOOK_EVENT_TYPES.length),
  departmentId: z.uuid().optional().describe("A company key names the department; without it the webhook is company-wide"),
});

export const webhookEndpointResponse = z.object({
  id: z.uuid(),
  url: z.string(),
  events: z.array(webhookEventTypeSchema),
  departmentId: z.uuid().nullable().describe("null: company-wide"),
  enabled: z.boolean(),
  disabledReason: z.enum(WEBHOOK_DISABLED_REASONS).nullable(),
  createdAt: z.string().describe("ISO 8601"),
});

export const createWebhookResponse = webhookEndpointResponse.extend({
  secret: z.string().startsWith("whsec_").describe("The signing secret, shown only in this answer"),
});

export const listWebhooksResponse = z.array(webhookEndpointResponse);

/** What a receiver gets, signed with the webhook-id, webhook-timestamp and webhook-signature headers. */
export const webhookEventBody = z.object({
  type: z.union([webhookEventTypeSchema, z.literal("test")]),
  createdAt: z.string(),
  data: z
    .object({
      deliveryId: z.number().int().optional().describe("Absent for subscribed"),
      taskId: z.uuid().nullable().optional(),
      email: z.string(),
    })
    .catchall(z.unknown()),
});

export type CreateWebhookRequest = z.infer<typeof createWebhookRequest>;
