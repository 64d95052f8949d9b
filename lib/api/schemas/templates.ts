import { z } from "zod";
import { departmentIdField } from "./common";

export const createTemplateBody = z.object({
  name: z.string().trim().min(1).max(200),
  subject: z.string().max(2000).meta({ description: "The subject; \"\" for an SMS template (not used)" }),
  html: z.string().max(2_000_000).meta({ description: "The HTML body; \"\" for an SMS template (not used)" }),
  text: z.string().max(2_000_000).optional().meta({ description: "Plain-text part; absent: made from the HTML. For SMS the message itself (Liquid, the same variables), required" }),
  channel: z.enum(["email", "sms"]).optional().meta({ description: "What the template is for; absent: email" }),
  departmentId: departmentIdField,
});

export const templateIssue = z
  .object({
    code: z.string(),
    reason: z.string(),
    params: z.record(z.string(), z.unknown()),
    message: z.string().meta({ description: "The finding in English" }),
    part: z.enum(["subject", "html", "text"]),
    line: z.number().int().optional(),
    column: z.number().int().optional(),
  })
  .meta({ id: "TemplateIssue", description: "A lint finding with where it is" });

export const createdTemplate = z.object({
  id: z.string(),
  version: z.number().int(),
  warnings: z.array(templateIssue),
});
