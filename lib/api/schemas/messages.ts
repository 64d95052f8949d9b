/**
 * The request and answer schemas of POST /api/v1/messages and GET /api/v1/deliveries/{id}, and the
 * engagement fields the task deliveries list shares with them: the route validates with these, and
 * the generated OpenAPI document is made from the same objects.
 */
import "server-only";
import { z } from "zod";
import { DELIVERY_STATUSES } from "@/db/schema";

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

/** Printable ASCII without spaces, as most providers take it. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

export const sendMessageHeaders = z.object({
  "idempotency-key": z
    .string()
    .optional()
    .superRefine((key, context) => {
      if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) context.addIssue({ code: "custom", message: "not a usable key", params: { rule: "idempotencyKeyInvalid" } });
    })
    .describe("Up to 200 printable ASCII characters. The same key with the same body within 24 h answers what the first request answered and sends nothing again; with another body, 409"),
});

export const messageDeliverySchema = z.object({ id: z.string(), email: z.string(), status: z.enum(DELIVERY_STATUSES) });
export const sendMessageAnswerSchema = z.object({ deliveries: z.array(messageDeliverySchema) });
export type SendMessageAnswer = z.output<typeof sendMessageAnswerSchema>;
