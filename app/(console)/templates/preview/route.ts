import { z } from "zod";
import { defineRoute, json, readJson } from "@/lib/entry/route";
import { checkContent } from "@/lib/deliverability/content-check";
import { lintTemplate } from "@/lib/templates/lint";
import { getMessages } from "@/lib/i18n/server";
import { PLACEHOLDER_CONTACT, renderContent, sampleContact } from "@/lib/templates/store";
import { resolveTargetDepartment } from "@/lib/access/policy";

const body = z.object({
  subject: z.string().max(2000),
  html: z.string().max(2_000_000),
  text: z.string().max(2_000_000).optional(),
  departmentId: z.string().uuid().optional(),
  contactId: z.number().int().positive().optional(),
});

/** The editor's live preview: lint findings, the draft's spam-risk score (attachments not counted) and the content rendered for a chosen contact. Changes nothing. */
export const POST = defineRoute({
  permission: "templates.manage",
  auth: "session",
  handle: async (ctx, request) => {
    const input = await readJson(request, body);
    const lint = lintTemplate({ subject: input.subject, html: input.html, text: input.text });
    const { score, level } = checkContent({ subject: input.subject, html: input.html, text: input.text });
    const check = { score, level };
    if (lint.errors.length > 0) return json({ lint, check, rendered: null });
    const departmentId = resolveTargetDepartment(ctx.actor, input.departmentId);
    const { t } = await getMessages();
    const contact = await sampleContact(ctx, departmentId, input.contactId, { ...PLACEHOLDER_CONTACT, name: t.templates.sampleName });
    return json({ lint, check, rendered: renderContent(input, contact), contact: { email: contact.email, name: contact.name } });
  },
});
