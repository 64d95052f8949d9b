/**
 * The request and answer schemas of POST /api/v1/messages and GET /api/v1/deliveries/{id}, and the
 * engagement fields the task deliveries list shares with them: the route validates with these, and
 * the generated OpenAPI document is made from the same objects.
 */
import "server-only";
import { z } from "zod";
import { BOUNCE_CATEGORIES, DELIVERY_STATUSES } from "@/db/schema";

/** At most this many recipients in one message request. */
export const MESSAGE_RECIPIENTS_MAX = 100;

const templateData = z.record(z.string().max(200), z.unknown()).describe("Template variables: each key is a variable of its own and under `attributes`");

export const messageRecipientSchema = z.object({
  email: z.string().max(320),
  name: z.string().max(200).optional(),
  data: templateData.optional().describe("This recipient's variables, over the request's `data`"),
});

export const sendMessageRequestSchema = z
  .object({
    templateId: z.string().max(100).optional().describe("A template of the department; or give subject and html (and text) instead"),
    subject: z.string().max(2_000).optional(),
    html: z.string().max(2_000_000).optional(),
    text: z.string().max(2_000_000).optional(),
    senderId: z.string().max(100),
    // The count is checked below rather than by .max() here: a union names no rule for an array too long ("not a choice"), and the caller should hear "at most 100".
    to: z
      .union([z.string().max(320), z.array(messageRecipientSchema).min(1).meta({ maxItems: MESSAGE_RECIPIENTS_MAX })])
      .describe(`One address, or up to ${MESSAGE_RECIPIENTS_MAX} recipients each with their own name and data`),
    data: templateData.optional(),
    fromName: z.string().max(200).optional(),
    sendAt: z.iso.datetime({ offset: true }).optional().describe("Send later (at most 30 days ahead); absent: now"),
    transactional: z
      .boolean()
      .optional()
      .describe("true: sent even to an address that unsubscribed (order notices, password resets). Hard bounces, complaints and suppressions added by hand still stop it."),
    tracking: z.boolean().optional().describe("Open pixel and tracked links (default true)"),
    departmentId: z.uuid().optional().describe("Required of a company-wide key"),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (Array.isArray(value.to) && value.to.length > MESSAGE_RECIPIENTS_MAX) {
      ctx.addIssue({ code: "custom", path: ["to"], message: `at most ${MESSAGE_RECIPIENTS_MAX} recipients`, params: { rule: "tooMany", values: { max: MESSAGE_RECIPIENTS_MAX } } });
    }
  });
export type SendMessageRequest = z.output<typeof sendMessageRequestSchema>;

export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";

export const messageDeliverySchema = z.object({ id: z.string(), email: z.string(), status: z.enum(DELIVERY_STATUSES) });
export const sendMessageAnswerSchema = z.object({ deliveries: z.array(messageDeliverySchema) });
export type SendMessageAnswer = z.output<typeof sendMessageAnswerSchema>;

/** What a delivery says about itself after the send: feedback and engagement (opens and clicks by people; machine ones apart). */
export const deliveryEngagementSchema = z.object({
  openedAt: z.string().optional().describe("First open by a person"),
  opens: z.number().int().describe("Opens by people"),
  clickedAt: z.string().optional().describe("First click by a person"),
  clicks: z.number().int().describe("Clicks by people"),
  machineOpens: z.number().int().describe("Opens by likely machines (privacy prefetch, scanners), not in `opens`"),
  machineClicks: z.number().int().describe("Clicks by likely machines (link scanners), not in `clicks`"),
  deliveredAt: z.string().optional(),
  bouncedAt: z.string().optional(),
  complainedAt: z.string().optional(),
  unsubscribedAt: z.string().optional(),
});

export const deliverySchema = z
  .object({
    id: z.string(),
    taskId: z.string(),
    email: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    category: z.enum(BOUNCE_CATEGORIES).optional(),
    error: z.string().optional(),
    sentAt: z.string().optional(),
    code: z.number().int().nullable().describe("The receiving server's reply code"),
    enhancedStatus: z.string().nullable().describe("The reply's enhanced status (e.g. 5.1.1)"),
    attempts: z.number().int(),
    messageId: z.string().nullable(),
  })
  .extend(deliveryEngagementSchema.shape);
export type DeliveryAnswer = z.output<typeof deliverySchema>;
