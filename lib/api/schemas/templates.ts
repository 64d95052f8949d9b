import { z } from "zod";
import { departmentIdField } from "./common";

export const whatsappTemplateFields = z
  .object({
    name: z.string().max(512).meta({ description: "The approved Meta template's name (lowercase letters, digits, _)" }),
    language: z.string().max(20).meta({ description: "Its language code at Meta: en, en_US, zh_CN …" }),
    variables: z
      .array(z.string().max(1000))
      .max(20)
      .default([])
      .meta({ description: "What fills {{1}}, {{2}} … in order: Liquid over the contact, e.g. \"{{ name }}\", \"{{ attributes.city }}\"" }),
  })
  .meta({ id: "WhatsAppTemplate", description: "A WhatsApp template's approved Meta template; a WhatsApp task needs it (outside the 24-hour window only approved templates may be sent)" });

export const createTemplateBody = z.object({
  name: z.string().trim().min(1).max(200),
  subject: z.string().max(2000).meta({ description: "The subject; \"\" for an SMS template (not used)" }),
  html: z.string().max(2_000_000).meta({ description: "The HTML body; \"\" for an SMS template (not used)" }),
  text: z
    .string()
    .max(2_000_000)
    .optional()
    .meta({ description: "Plain-text part; absent: made from the HTML. For SMS the message itself (Liquid, the same variables), required. For WhatsApp the optional free text, used only inside the 24-hour window" }),
  channel: z.enum(["email", "sms", "whatsapp"]).optional().meta({ description: "What the template is for; absent: email" }),
  whatsapp: whatsappTemplateFields.optional(),
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
