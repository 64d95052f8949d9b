"use client";

import { useState } from "react";
import { ActionForm } from "@/components/forms/action-form";
import { Button } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { DEFAULT_COLOUR, FORM_LIMITS } from "@/lib/forms/settings";
import { saveSignupForm } from "./actions";

type FormField = { attribute: string; label: string; required: boolean };
export type EditedForm = {
  enabled: boolean;
  title: string;
  intro: string;
  askName: boolean;
  fields: FormField[];
  consentText: string;
  logoUrl: string;
  colour: string;
  language: "zh" | "en";
};

const area = "block w-full rounded-md border-0 px-2.5 py-1.5 text-sm text-slate-900 ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-inset focus:ring-indigo-600";

/** The pool's form settings; the fields travel as one JSON value, checked again by the server. */
export function SignupFormEditor({ poolId, form, suggestions }: { poolId: string; form: EditedForm | null; suggestions: string[] }) {
  const { t, locale } = useI18n();
  const labels = t.forms;
  const [fields, setFields] = useState<FormField[]>(form?.fields ?? []);
  const [saved, setSaved] = useState(false);
  const change = (index: number, patch: Partial<FormField>) => setFields(fields.map((field, at) => (at === index ? { ...field, ...patch } : field)));
  return (
    <ActionForm action={saveSignupForm} submitLabel={labels.save} resetOnSuccess={false} onDone={() => setSaved(true)} testId="signup-form-settings">
      {(errors) => (
        <div className="space-y-4" onChange={() => setSaved(false)}>
          <input type="hidden" name="poolId" value={poolId} />
          <input type="hidden" name="fields" value={JSON.stringify(fields)} />
          <label className="flex items-center gap-2 text-sm text-slate-800">
            <input type="checkbox" name="enabled" defaultChecked={form?.enabled ?? true} data-testid="form-enabled" />
            {labels.enabled}
          </label>
          <Field label={labels.formTitle} error={errors.title}>
            <Input name="title" required maxLength={FORM_LIMITS.title} defaultValue={form?.title ?? ""} data-testid="form-title-input" />
          </Field>
          <Field label={labels.formIntro} error={errors.intro}>
            <textarea name="intro" rows={3} maxLength={FORM_LIMITS.intro} defaultValue={form?.intro ?? ""} className={area} data-testid="form-intro" />
          </Field>
          <label className="flex items-center gap-2 text-sm text-slate-800">
            <input type="checkbox" name="askName" defaultChecked={form?.askName ?? true} data-testid="form-ask-name" />
            {labels.askName}
          </label>
          <fieldset className="space-y-2">
            <legend className="text-xs font-medium text-slate-700">{labels.fields}</legend>
            <p className="text-xs text-slate-500">{format(labels.fieldsHint, { max: FORM_LIMITS.fields })}</p>
            <datalist id="form-attribute-names">
              {suggestions.map((name) => (
                <option key={name} value={name} />
              ))}
            </datalist>
            {fields.map((field, index) => {
              const rowError = errors[`fields.${index}.attribute`] ?? errors[`fields.${index}.label`] ?? errors[`fields.${index}`];
              return (
                <div key={index} className="grid gap-2 rounded-md p-2 ring-1 ring-slate-200 sm:grid-cols-[1fr_1fr_auto_auto] sm:items-center" data-testid={`form-field-${index}`}>
                  <Input
                    aria-label={`${labels.attribute} ${index + 1}`}
                    placeholder={labels.attribute}
                    list="form-attribute-names"
                    maxLength={FORM_LIMITS.attribute}
                    value={field.attribute}
                    onChange={(event) => change(index, { attribute: event.target.value })}
                    data-testid={`form-field-attribute-${index}`}
                  />
                  <Input
                    aria-label={`${labels.label} ${index + 1}`}
                    placeholder={labels.label}
                    maxLength={FORM_LIMITS.label}
                    value={field.label}
                    onChange={(event) => change(index, { label: event.target.value })}
                    data-testid={`form-field-label-${index}`}
                  />
                  <label className="flex items-center gap-1.5 text-sm text-slate-700">
                    <input type="checkbox" checked={field.required} onChange={(event) => change(index, { required: event.target.checked })} data-testid={`form-field-required-${index}`} />
                    {labels.required}
                  </label>
                  <Button variant="secondary" onClick={() => setFields(fields.filter((_, at) => at !== index))} aria-label={`${labels.removeField} ${index + 1}`}>
                    {labels.removeField}
                  </Button>
                  {rowError ? (
                    <span className="text-xs text-red-600 sm:col-span-4" role="alert">
                      {rowError}
                    </span>
                  ) : null}
                </div>
              );
            })}
            {errors.fields ? (
              <span className="block text-xs text-red-600" role="alert">
                {errors.fields}
              </span>
            ) : null}
            <Button
              variant="secondary"
              disabled={fields.length >= FORM_LIMITS.fields}
              onClick={() => setFields([...fields, { attribute: "", label: "", required: false }])}
              data-testid="form-add-field"
            >
              {labels.addField}
            </Button>
          </fieldset>
          <Field label={labels.consentText} hint={labels.consentHint} error={errors.consentText}>
            <textarea name="consentText" rows={2} maxLength={FORM_LIMITS.consent} defaultValue={form?.consentText ?? ""} className={area} data-testid="form-consent" />
          </Field>
          <div className="grid gap-3 md:grid-cols-3">
            <Field label={labels.logoUrl} hint={labels.logoHint} error={errors.logoUrl}>
              <Input name="logoUrl" type="url" maxLength={FORM_LIMITS.logoUrl} defaultValue={form?.logoUrl ?? ""} placeholder="https://" data-testid="form-logo-url" />
            </Field>
            <Field label={labels.colour} error={errors.colour}>
              <Input name="colour" type="color" defaultValue={form?.colour ?? DEFAULT_COLOUR} className="h-9 w-20 p-1" data-testid="form-colour" />
            </Field>
            <Field label={labels.language} hint={labels.languageHint} error={errors.language}>
              <Select name="language" defaultValue={form?.language ?? (locale === "en" ? "en" : "zh")} data-testid="form-language">
                <option value="zh">{labels.languages.zh}</option>
                <option value="en">{labels.languages.en}</option>
              </Select>
            </Field>
          </div>
          {saved ? (
            <p className="text-sm text-emerald-700" role="status" data-testid="form-saved">
              {labels.saved}
            </p>
          ) : null}
        </div>
      )}
    </ActionForm>
  );
}
