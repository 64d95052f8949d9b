"use server";

import { z } from "zod";
import { defineAction } from "@/lib/entry/action";
import { optionalUuid } from "@/lib/entry/form-schemas";
import { createTemplate, saveTemplateVersion } from "@/lib/templates/store";
import { testSend as send } from "@/lib/templates/test-send";

const content = {
  name: z.string().trim().min(1, "is required").max(200),
  subject: z.string().max(2000),
  html: z.string().max(2_000_000),
  text: z.string().max(2_000_000).optional(),
  attachmentIds: z.array(z.string().uuid()).max(20).optional(),
  /** A new template's channel (an existing one keeps its own). */
  channel: z.enum(["email", "sms", "whatsapp"]).optional(),
  /** A WhatsApp template's approved Meta template (lib/templates/whatsapp.ts checks it). */
  whatsapp: z.object({ name: z.string().max(512), language: z.string().max(20), variables: z.array(z.string().max(1000)).max(20) }).optional(),
};

export const saveTemplate = defineAction({
  permission: "templates.manage",
  input: z.object({ id: optionalUuid, departmentId: optionalUuid, ...content }),
  run: (ctx, { id, ...input }) => (id ? saveTemplateVersion(ctx, id, input) : createTemplate(ctx, input)),
});

export const testSend = defineAction({
  permission: "templates.manage",
  input: z.object({ templateId: z.string().uuid(), senderId: z.string().uuid(), recipients: z.string().min(3).max(4000), contactId: z.coerce.number().int().positive().optional() }),
  run: (ctx, input) => send(ctx, input),
});
