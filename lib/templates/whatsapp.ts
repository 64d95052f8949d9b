/**
 * A WhatsApp template in Fanout: the Meta template it sends (name and language as Meta approved
 * them) and, for each positional variable {{1}}, {{2}} …, the Liquid that fills it from the contact
 * (`{{ name }}`, `{{ attributes.city }}`). Outside the 24-hour customer-service window Meta takes
 * only approved templates, so a task needs the name; the template's free text (its version's
 * `text`) is kept for replies inside the window and is never what a task sends.
 */
import "server-only";
import crypto from "node:crypto";
import type { WhatsAppTemplateFields } from "@/db/schema";
import { invalidInput } from "@/lib/errors";
import { compileTemplate } from "./compile";
import { parsePart, TemplateError } from "./diagnostics";
import { cleanSubject, type CompiledTemplate, type Contact } from "./render";

export type { WhatsAppTemplateFields } from "@/db/schema";

/** Meta: lowercase letters, digits and underscores, at most 512. */
const NAME = /^[a-z0-9_]{1,512}$/;
/** Meta's codes: a language ("en", "fil") or a language and region ("en_US", "zh_CN", "pt_BR"). */
const LANGUAGE = /^[a-z]{2,3}(?:_[A-Z]{2,3})?$/;
/** More body parameters than any approved template holds is a mistake, not a template. */
export const WHATSAPP_MAX_VARIABLES = 20;
const VARIABLE_MAX_CHARACTERS = 1000;

/**
 * The fields as stored (trimmed), or null when there is no approved template (free text only).
 * Refuses, naming the field, a name or language Meta would not take and a variable that does not
 * compile; a template with neither an approved name nor free text says nothing and is refused.
 */
export function checkWhatsAppFields(fields: WhatsAppTemplateFields | null | undefined, text: string | null | undefined): WhatsAppTemplateFields | null {
  const name = fields?.name.trim() ?? "";
  const variables = (fields?.variables ?? []).map((variable) => variable.trim());
  if (!name) {
    if (!text?.trim()) throw invalidInput("whatsappTemplateEmpty", { field: "whatsapp.name" });
    if (variables.some(Boolean)) throw invalidInput("whatsappVariablesWithoutName", { field: "whatsapp.name" });
    return null;
  }
  if (!NAME.test(name)) throw invalidInput("whatsappNameInvalid", { field: "whatsapp.name" });
  const language = fields?.language.trim() ?? "";
  if (!LANGUAGE.test(language)) throw invalidInput("whatsappLanguageInvalid", { field: "whatsapp.language", params: { examples: "en, en_US, zh_CN" } });
  checkVariables(variables);
  return { name, language, variables };
}

/** Refuses more variables than a template holds, and one that is empty, too long or does not compile, naming its position. */
function checkVariables(variables: string[]) {
  if (variables.length > WHATSAPP_MAX_VARIABLES) throw invalidInput("whatsappTooManyVariables", { field: "whatsapp.variables", params: { max: WHATSAPP_MAX_VARIABLES } });
  variables.forEach((variable, index) => {
    const position = index + 1;
    const field = `whatsapp.variables.${index}`;
    if (!variable) throw invalidInput("whatsappVariableEmpty", { field, params: { position, example: "{{ name }}" } });
    if (variable.length > VARIABLE_MAX_CHARACTERS) throw invalidInput("whatsappVariableTooLong", { field, params: { position, max: VARIABLE_MAX_CHARACTERS } });
    try {
      parsePart("text", variable);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      throw invalidInput("whatsappVariableInvalid", { field, params: { ...error.issue.params, position, problem: error.issue.reason } });
    }
  });
}

/** The variables of a stored WhatsApp template, compiled once per template version. */
export function compileWhatsAppVariables(templateId: string, version: number, fields: WhatsAppTemplateFields): CompiledTemplate[] {
  return fields.variables.map((variable, index) => compileTemplate({ id: `${templateId}:whatsapp-${index + 1}`, version, subject: "", html: "", text: variable }));
}

/**
 * The values of {{1}}, {{2}} … for one contact. Meta refuses a parameter with a line break, a tab or
 * more than four spaces in a row, and an empty one: the value is made one line, and an empty value
 * is an error (its delivery fails as unsendable, its quota given back) rather than a refusal later.
 */
export function renderWhatsAppVariables(variables: readonly CompiledTemplate[], contact: Contact): string[] {
  return variables.map((variable, index) => {
    const value = cleanSubject(variable.render(contact).text.replace(/\t/g, " ")).replace(/ {4,}/g, "   ");
    if (!value) throw new Error(`WhatsApp variable {{${index + 1}}} is empty for this contact`);
    return value;
  });
}

/**
 * The editor's preview: each draft variable rendered for the contact as it would be sent ("" where
 * it is empty: the send would fail that delivery); refused as saving would refuse it.
 */
export function previewWhatsAppVariables(draft: string[], contact: Contact): string[] {
  const variables = draft.map((variable) => variable.trim());
  checkVariables(variables);
  const key = crypto.createHash("sha1").update(variables.join("\u0000")).digest("hex");
  return compileWhatsAppVariables(`preview:${key}`, 0, { name: "", language: "", variables }).map((compiled) => {
    try {
      return renderWhatsAppVariables([compiled], contact)[0]!;
    } catch {
      return "";
    }
  });
}
