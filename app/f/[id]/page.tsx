import type { Metadata } from "next";
import { cookies, headers } from "next/headers";
import { notFound } from "next/navigation";
import { getDb } from "@/lib/database";
import { formLanguage, publicSignupForm } from "@/lib/forms/public";
import { CONSENT_VALUE, HONEYPOT_FIELD, fieldName } from "@/lib/forms/post-names";
import { TYPED_COOKIE, decodeFormErrors, decodeTypedValues } from "@/lib/forms/round-trip";
import { textOn } from "@/lib/forms/settings";
import { messagesFor } from "@/lib/i18n";
import { describeReason, isRule } from "@/lib/i18n/describe";
import { FormFrame } from "./form-frame";

export const metadata: Metadata = { robots: { index: false, follow: false } };

type Query = Record<string, string | string[] | undefined>;
const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
const input = "block w-full rounded-md border-0 px-2.5 py-1.5 text-sm text-slate-900 ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-inset focus:ring-slate-600";

/**
 * A pool's hosted sign-up form (`/f/<id>`): a plain HTML form posting to ./submit, so it works
 * without script. After a refusal the post sends the visitor back here with the refusals in the
 * URL and what they typed in a cookie; both are shown again, worded in the page's language.
 */
export default async function SignupFormPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Query> }) {
  const [{ id }, query, headerList, cookieStore] = await Promise.all([params, searchParams, headers(), cookies()]);
  const form = await publicSignupForm(await getDb(), id);
  if (!form) notFound();
  const language = formLanguage(single(query.lang), headerList.get("accept-language"), form.language);
  const messages = messagesFor(language === "zh" ? "zh-CN" : "en");
  const t = messages.forms.public;
  const errors = decodeFormErrors(single(query.errors));
  const typed = errors.length > 0 ? decodeTypedValues(cookieStore.get(TYPED_COOKIE)?.value) : {};
  const labelOf = (field: string) => (field === "email" ? t.email : field === "name" ? t.name : (form.fields.find((one) => fieldName(one.attribute) === field)?.label ?? ""));
  const worded = errors.map((error) => {
    const known = Object.hasOwn(messages.server.rules, error.reason) || Object.hasOwn(messages.server.messages, error.reason);
    const text = known ? describeReason(messages.server, error.reason, error.params) : messages.server.codes.invalid_input;
    return { field: error.field, text: known && isRule(error.reason) ? `${labelOf(error.field)}${messages.server.colon}${text}` : text };
  });
  const errorOf = (field: string) => worded.find((error) => error.field === field)?.text;
  const describedBy = (field: string) => (errorOf(field) ? { "aria-invalid": true, "aria-describedby": `error-${field}` } : {});
  const fieldError = (field: string) =>
    errorOf(field) ? (
      <span id={`error-${field}`} className="block text-xs text-red-700" data-testid={`form-error-${field}`}>
        {errorOf(field)}
      </span>
    ) : null;
  const textField = (name: string, label: string, required: boolean, extra: Record<string, string> = {}) => (
    <label className="block space-y-1" key={name}>
      <span className="text-sm font-medium text-slate-800">
        {label}
        {required ? null : <span className="font-normal text-slate-500"> ({t.optional})</span>}
      </span>
      <input type="text" name={name} required={required} defaultValue={typed[name] ?? ""} maxLength={1000} className={input} {...extra} {...describedBy(name)} />
      {fieldError(name)}
    </label>
  );
  return (
    <FormFrame form={form} language={language} path={`/f/${form.id}`} languageLabel={t.language}>
      <h1 className="text-xl font-semibold text-slate-900" data-testid="form-title">
        {form.title}
      </h1>
      {form.intro ? <p className="whitespace-pre-line text-sm text-slate-700">{form.intro}</p> : null}
      {worded.length > 0 ? (
        <div role="alert" className="rounded-md bg-red-50 p-3 text-sm text-red-800" data-testid="form-errors">
          <p className="font-medium">{t.problems}</p>
          <ul className="mt-1 list-disc pl-5">
            {worded.map((error, index) => (
              <li key={index}>{error.text}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <form method="post" action={`/f/${form.id}/submit`} acceptCharset="UTF-8" className="space-y-3" data-testid="signup-form">
        <input type="hidden" name="_charset_" />
        <input type="hidden" name="lang" value={language} />
        {textField("email", t.email, true, { inputMode: "email", autoComplete: "email" })}
        {form.askName ? textField("name", t.name, false, { autoComplete: "name" }) : null}
        {form.fields.map((field) => textField(fieldName(field.attribute), field.label, field.required))}
        {form.consentText ? (
          <div>
            <label className="flex items-start gap-2 text-sm text-slate-700">
              <input
                type="checkbox"
                name="consent"
                value={CONSENT_VALUE}
                required
                defaultChecked={typed.consent === CONSENT_VALUE}
                className="mt-0.5"
                style={{ accentColor: form.colour }}
                {...describedBy("consent")}
              />
              <span className="whitespace-pre-line">{form.consentText}</span>
            </label>
            {fieldError("consent")}
          </div>
        ) : null}
        <div aria-hidden="true" style={{ position: "absolute", left: "-10000px", width: 1, height: 1, overflow: "hidden" }}>
          <label>
            {t.honeypot}
            <input type="text" name={HONEYPOT_FIELD} tabIndex={-1} autoComplete="off" defaultValue="" />
          </label>
        </div>
        <button
          type="submit"
          className="w-full rounded-md px-3 py-2 text-sm font-semibold shadow-sm focus:outline-2 focus:outline-offset-2"
          style={{ backgroundColor: form.colour, color: textOn(form.colour), outlineColor: form.colour }}
          data-testid="form-submit"
        >
          {t.submit}
        </button>
      </form>
    </FormFrame>
  );
}
