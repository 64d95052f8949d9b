import "server-only";
import { and, eq, inArray } from "drizzle-orm";
import { attachments, templates, templateVersions } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { authorize, departmentScope } from "@/lib/access/policy";
import type { Permission } from "@/lib/access/policy";
import { notFound } from "@/lib/errors";
import { isUuid } from "@/lib/ids";
import { checkContent, type VersionContentCheck } from "./content-check";

export type { VersionContentCheck } from "./content-check";

/**
 * The content check of one stored template version (the current one when `version` is left out),
 * its attachments' sizes included: for the template editor (templates.manage) and the send
 * confirmation (tasks.manage), each in the caller's department scope.
 */
export async function checkTemplateVersion(
  ctx: Ctx,
  templateId: string,
  { version, permission = "templates.manage" }: { version?: number; permission?: Permission } = {},
): Promise<VersionContentCheck> {
  if (!isUuid(templateId)) throw notFound("template");
  const [template] = await ctx.db
    .select({ departmentId: templates.departmentId, currentVersion: templates.currentVersion })
    .from(templates)
    .where(and(eq(templates.id, templateId), departmentScope(ctx.actor, templates.departmentId)));
  if (!template) throw notFound("template");
  authorize(ctx.actor, permission, { departmentId: template.departmentId });
  const wanted = version ?? template.currentVersion;
  const [content] = await ctx.db
    .select({ subject: templateVersions.subject, html: templateVersions.html, text: templateVersions.text, attachmentIds: templateVersions.attachmentIds })
    .from(templateVersions)
    .where(and(eq(templateVersions.templateId, templateId), eq(templateVersions.version, wanted)));
  if (!content) throw notFound("templateVersion");
  const files =
    content.attachmentIds.length === 0
      ? []
      : await ctx.db
          .select({ fileName: attachments.fileName, sizeBytes: attachments.sizeBytes })
          .from(attachments)
          .where(and(eq(attachments.departmentId, template.departmentId), inArray(attachments.id, content.attachmentIds)));
  return { ...checkContent({ subject: content.subject, html: content.html, text: content.text, attachments: files }), templateId, version: wanted };
}
