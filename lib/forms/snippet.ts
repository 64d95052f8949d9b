import { CONSENT_VALUE, HONEYPOT_FIELD, fieldName } from "./post-names";

const escapeHtml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

export type SnippetForm = {
  id: string;
  askName: boolean;
  fields: { attribute: string; label: string; required: boolean }[];
  consentText: string;
  language: "zh" | "en";
};
export type SnippetLabels = { email: string; name: string; submit: string; honeypot: string };

/**
 * The HTML a department pastes into another site: a plain form posting to the hosted form's
 * submit URL (no script, no CORS: the browser follows the 303 to the confirmation page). It asks
 * for UTF-8 and carries `_charset_`, so a page in GB18030 still posts text the server can read; the
 * honeypot is hidden by an inline style, which every site's CSS leaves alone; `lang` picks the
 * language of the pages that answer. Every text is the department's, escaped.
 */
export function signupSnippet(form: SnippetForm, baseUrl: string, labels: SnippetLabels): string {
  const input = (name: string, label: string, required: boolean, extra = "") =>
    `  <p><label>${escapeHtml(label)}<br><input type="text" name="${escapeHtml(name)}"${extra}${required ? " required" : ""}></label></p>`;
  return [
    `<form method="post" action="${escapeHtml(`${baseUrl.replace(/\/+$/, "")}/f/${form.id}/submit`)}" accept-charset="UTF-8">`,
    `  <input type="hidden" name="_charset_">`,
    `  <input type="hidden" name="lang" value="${form.language}">`,
    input("email", labels.email, true, ` inputmode="email" autocomplete="email"`),
    ...(form.askName ? [input("name", labels.name, false, ` autocomplete="name"`)] : []),
    ...form.fields.map((field) => input(fieldName(field.attribute), field.label, field.required)),
    ...(form.consentText ? [`  <p><label><input type="checkbox" name="consent" value="${CONSENT_VALUE}" required> ${escapeHtml(form.consentText)}</label></p>`] : []),
    `  <div style="position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden" aria-hidden="true"><label>${escapeHtml(labels.honeypot)}<input type="text" name="${HONEYPOT_FIELD}" tabindex="-1" autocomplete="off"></label></div>`,
    `  <p><button type="submit">${escapeHtml(labels.submit)}</button></p>`,
    `</form>`,
  ].join("\n");
}
