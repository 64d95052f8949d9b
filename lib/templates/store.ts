import "server-only";
import crypto from "node:crypto";
import { and, asc, desc, eq, sql } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { contacts, departments, templates, templateVersions, type LintReport } from "@/db/schema";
import { authorize, departmentScope, resolveTargetDepartment } from "@/lib/access/policy";
import { recordAudit } from "@/lib/audit/record";
import { operatorId } from "@/lib/access/actor";
import type { Ctx } from "@/lib/access/context";
import { AppError, conflict, invalidInput, notFound } from "@/lib/errors";
import { lintTemplate } from "./lint";
import { compileTemplate } from "./compile";
import { isUuid } from "@/lib/ids";
import { checkWhatsAppFields, type WhatsAppTemplateFields } from "./whatsapp";

/**
 * `channel`: "sms" for an SMS template, whose message is `text` alone (subject and HTML stored
 * empty); "whatsapp" for a WhatsApp template, its approved Meta template in `whatsapp` and `text`
 * the optional free text for inside the 24-hour window; absent: e-mail.
 */
export type TemplateContent = {
  subject: string;
  html: string;
  text?: string | null;
  attachmentIds?: string[];
  channel?: TemplateChannel;
  whatsapp?: WhatsAppTemplateFields | null;
};
export type TemplateChannel = "email" | "sms" | "whatsapp";

/** Lints content and refuses it when it has errors, naming each with its line and column. */
export function checkContent(content: TemplateContent): LintReport {
  const report = lintTemplate({ subject: content.subject, html: content.html, text: content.text ?? undefined, channel: content.channel });
  if (report.errors.length > 0) {
    const first = report.errors[0]!;
    // The first problem crosses as its reason, so the console words it in the reader's language.
    const params = { ...first.params, problem: first.reason, templatePart: first.part };
    const details = { errors: report.errors, warnings: report.warnings };
    if (first.line) throw new AppError("invalid_input", "templateHasErrorsAt", { params: { ...params, line: first.line, column: first.column ?? 1 }, details });
    throw new AppError("invalid_input", "templateHasErrorsIn", { params, details });
  }
  return report;
}

/**
 * The content as a template of `channel` stores it: an SMS or WhatsApp template's subject, HTML and
 * attachments are empty; only a WhatsApp template has WhatsApp fields, checked here.
 */
function forChannel<T extends TemplateContent>(content: T, channel: TemplateChannel): T & { whatsapp: WhatsAppTemplateFields | null } {
  if (channel === "email") return { ...content, channel, whatsapp: null };
  const whatsapp = channel === "whatsapp" ? checkWhatsAppFields(content.whatsapp, content.text) : null;
  return { ...content, channel, subject: "", html: "", attachmentIds: [], whatsapp };
}

/** A stored template's channel as content is checked for. */
function channelOf(stored: string | undefined): TemplateChannel {
  return stored === "sms" || stored === "whatsapp" ? stored : "email";
}

export async function listTemplates(ctx: Ctx) {
  authorize(ctx.actor, "templates.manage");
  return ctx.db
    .select({
      id: templates.id,
      departmentId: templates.departmentId,
      departmentName: departments.name,
      name: templates.name,
      channel: templates.channel,
      version: templates.currentVersion,
      subject: templateVersions.subject,
      text: templateVersions.text,
      whatsapp: templateVersions.whatsapp,
      lint: templateVersions.lint,
      updatedAt: templates.updatedAt,
    })
    .from(templates)
    .innerJoin(departments, eq(departments.id, templates.departmentId))
    .innerJoin(templateVersions, and(eq(templateVersions.templateId, templates.id), eq(templateVersions.version, templates.currentVersion)))
    .where(departmentScope(ctx.actor, templates.departmentId))
    .orderBy(desc(templates.updatedAt))
    .limit(500);
}

export async function loadTemplate(ctx: Ctx, id: string, version?: number) {
  if (!isUuid(id)) throw notFound("template");
  const [template] = await ctx.db.select().from(templates).where(eq(templates.id, id));
  if (!template) throw notFound("template");
  authorize(ctx.actor, "templates.manage", { departmentId: template.departmentId });
  const [current] = await ctx.db
    .select()
    .from(templateVersions)
    .where(and(eq(templateVersions.templateId, id), eq(templateVersions.version, version ?? template.currentVersion)));
  if (!current) throw notFound("templateVersion");
  return { ...template, content: current };
}

export async function listVersions(ctx: Ctx, id: string) {
  await loadTemplate(ctx, id);
  return ctx.db
    .select({ version: templateVersions.version, subject: templateVersions.subject, createdBy: templateVersions.createdBy, createdAt: templateVersions.createdAt })
    .from(templateVersions)
    .where(eq(templateVersions.templateId, id))
    .orderBy(desc(templateVersions.version));
}

async function assertNameFree(db: Executor, departmentId: string, name: string, exceptId?: string) {
  const [existing] = await db
    .select({ id: templates.id })
    .from(templates)
    .where(and(eq(templates.departmentId, departmentId), sql`lower(${templates.name}) = lower(${name})`, exceptId ? sql`${templates.id} <> ${exceptId}` : undefined));
  if (existing) throw conflict("templateNameTaken", { field: "name", params: { name } });
}

export async function createTemplate(ctx: Ctx, given: TemplateContent & { name: string; departmentId?: string | null }) {
  const departmentId = resolveTargetDepartment(ctx.actor, given.departmentId);
  authorize(ctx.actor, "templates.manage", { departmentId });
  const input = forChannel(given, given.channel ?? "email");
  const lint = checkContent(input);
  return ctx.db.transaction(async (tx) => {
    await assertNameFree(tx, departmentId, input.name);
    const [template] = await tx.insert(templates).values({ departmentId, name: input.name, channel: input.channel ?? "email" }).returning({ id: templates.id });
    await tx.insert(templateVersions).values({
      templateId: template!.id,
      version: 1,
      subject: input.subject,
      html: input.html,
      text: input.text?.trim() ? input.text : null,
      attachmentIds: input.attachmentIds ?? [],
      whatsapp: input.whatsapp,
      lint,
      usable: true,
      createdBy: operatorId(ctx.actor),
    });
    await recordAudit(tx, ctx.actor, {
      action: "template.create",
      objectType: "template",
      objectId: template!.id,
      departmentId,
      summary: { key: "template.create", params: { name: input.name, warnings: lint.warnings.length } },
    });
    return { id: template!.id, version: 1, lint };
  });
}

/** Saves new content as the next version; earlier versions stay for the tasks that froze them. */
export async function saveTemplateVersion(ctx: Ctx, id: string, given: TemplateContent & { name: string }) {
  // A template keeps its channel: the new version is checked as what it is.
  const [stored] = isUuid(id) ? await ctx.db.select({ channel: templates.channel }).from(templates).where(eq(templates.id, id)) : [];
  const input = forChannel(given, channelOf(stored?.channel));
  const lint = checkContent(input);
  return ctx.db.transaction(async (tx) => {
    const template = await loadTemplate({ ...ctx, db: tx }, id);
    await assertNameFree(tx, template.departmentId, input.name, id);
    const version = template.currentVersion + 1;
    await tx.insert(templateVersions).values({
      templateId: id,
      version,
      subject: input.subject,
      html: input.html,
      text: input.text?.trim() ? input.text : null,
      attachmentIds: input.attachmentIds ?? template.content.attachmentIds,
      whatsapp: input.whatsapp,
      lint,
      usable: true,
      createdBy: operatorId(ctx.actor),
    });
    await tx.update(templates).set({ name: input.name, currentVersion: version, updatedAt: new Date() }).where(eq(templates.id, id));
    await recordAudit(tx, ctx.actor, {
      action: "template.update",
      objectType: "template",
      objectId: id,
      departmentId: template.departmentId,
      summary: { key: "template.update", params: { version, name: input.name, warnings: lint.warnings.length } },
    });
    return { id, version, lint };
  });
}

/** A task may use a version only when it lints without errors today. */
export async function assertTemplateUsable(ctx: Ctx, id: string, version?: number) {
  const template = await loadTemplate(ctx, id, version);
  checkContent({ ...template.content, channel: channelOf(template.channel) });
  return template;
}

export type SampleContact = { email: string; name: string; attributes: Record<string, string> };

export const PLACEHOLDER_CONTACT: SampleContact = { email: "someone@example.com", name: "Someone", attributes: {} };

/** The contact a preview renders for: the chosen one, else the placeholder (named in the reader's language by the caller). */
export async function sampleContact(ctx: Ctx, departmentId: string, contactId?: number, placeholder = PLACEHOLDER_CONTACT): Promise<SampleContact> {
  if (!contactId) return placeholder;
  const [contact] = await ctx.db
    .select({ email: contacts.email, name: contacts.name, attributes: contacts.attributes, departmentId: contacts.departmentId })
    .from(contacts)
    .where(eq(contacts.id, contactId));
  if (!contact) throw notFound("contact");
  authorize(ctx.actor, "templates.manage", { departmentId: contact.departmentId });
  if (contact.departmentId !== departmentId) throw invalidInput("contactOfOtherDepartment", { field: "contactId" });
  return contact;
}

/** Renders unsaved content for the live preview; compiled once per distinct content. */
export function renderContent(content: TemplateContent, contact: SampleContact, extra: Record<string, unknown> = {}) {
  const key = crypto.createHash("sha1").update(`${content.subject}\u0000${content.html}\u0000${content.text ?? ""}`).digest("hex");
  const compiled = compileTemplate({ id: `preview:${key}`, version: 0, subject: content.subject, html: content.html, text: content.text ?? null });
  return compiled.render(contact, extra);
}

export async function previewContacts(ctx: Ctx, departmentId: string, limit = 20) {
  authorize(ctx.actor, "templates.manage", { departmentId });
  return ctx.db
    .select({ id: contacts.id, email: contacts.email, name: contacts.name })
    .from(contacts)
    .where(eq(contacts.departmentId, departmentId))
    .orderBy(asc(contacts.id))
    .limit(limit);
}
