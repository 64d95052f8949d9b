import { z } from "zod";
import { defineRoute, json, readJson } from "@/lib/entry/route";
import { checkContent } from "@/lib/deliverability/content-check";
import { lintTemplate } from "@/lib/templates/lint";
import { getMessages } from "@/lib/i18n/server";
import { PLACEHOLDER_CONTACT, renderContent, sampleContact } from "@/lib/templates/store";
import { resolveTargetDepartment } from "@/lib/access/policy";
import type { Ctx } from "@/lib/access/context";
import { AppError } from "@/lib/errors";
import { previewWhatsAppVariables } from "@/lib/templates/whatsapp";

const body = z.object({
  subject: z.string().max(2000),
  html: z.string().max(2_000_000),
  text: z.string().max(2_000_000).optional(),
  departmentId: z.string().uuid().optional(),
  contactId: z.number().int().positive().optional(),
  /** A WhatsApp draft: its variables are rendered instead of the mail parts. */
  whatsapp: z.object({ variables: z.array(z.string().max(1000)).max(20) }).optional(),
});

/**
 * The editor's live preview: lint findings, the draft's spam-risk score (attachments not counted) and
 * the content rendered for a chosen contact; for a WhatsApp draft, its variables' values for the
 * contact, or why they cannot be saved. Changes nothing.
 */
export const POST = defineRoute({
  permission: "templates.manage",
  auth: "session",
  handle: async (ctx, request) => {
    const input = await readJson(request, body);
    if (input.whatsapp) return json(await previewWhatsApp(ctx, input, input.whatsapp.variables));
    const lint = lintTemplate({ subject: input.subject, html: input.html, text: input.text });
    const { score, level } = checkContent({ subject: input.subject, html: input.html, text: input.text });
    const check = { score, level };
    if (lint.errors.length > 0) return json({ lint, check, rendered: null });
    const contact = await previewContact(ctx, input);
    return json({ lint, check, rendered: renderContent({ subject: input.subject, html: input.html, text: input.text }, contact), contact: { email: contact.email, name: contact.name } });
  },
});

/** The contact a preview renders for: the chosen one of the department, else the placeholder named in the reader's language. */
async function previewContact(ctx: Ctx, input: { departmentId?: string; contactId?: number }) {
  const departmentId = resolveTargetDepartment(ctx.actor, input.departmentId);
  const { t } = await getMessages();
  return sampleContact(ctx, departmentId, input.contactId, { ...PLACEHOLDER_CONTACT, name: t.templates.sampleName });
}

async function previewWhatsApp(ctx: Ctx, input: { departmentId?: string; contactId?: number }, variables: string[]) {
  const contact = await previewContact(ctx, input);
  try {
    return { whatsapp: previewWhatsAppVariables(variables, contact), contact: { email: contact.email, name: contact.name } };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { whatsapp: null, refusal: { code: error.code, reason: error.reason, params: error.params } };
  }
}
