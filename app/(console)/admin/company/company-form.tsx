"use client";

import { ActionForm, type FormActionResult } from "@/components/forms/action-form";
import { Field, Input } from "@/components/ui/field";
import { useI18n } from "@/lib/i18n/client";
import { setRequireUnsubscribeLink, updateCompany } from "./actions";

export function CompanyForm({ name, quotaTotal }: { name: string; quotaTotal: number | null }) {
  const { t } = useI18n();
  return (
    <ActionForm action={updateCompany} submitLabel={t.common.save} resetOnSuccess={false} testId="company-form">
      {(errors) => (
        <div className="space-y-3">
          <Field label={t.company.accountName} error={errors.name}>
            <Input name="name" defaultValue={name} required />
          </Field>
          <Field label={t.company.purchased} hint={t.company.quotaHint} error={errors.quotaTotal}>
            <Input name="quotaTotal" type="number" min={0} defaultValue={quotaTotal ?? ""} />
          </Field>
        </div>
      )}
    </ActionForm>
  );
}

/** A company rule that is on or off: one button that turns it the other way, and what it does. */
export function SettingToggle({ on, action, name, label, hint, testId }: { on: boolean; action: (form: FormData) => Promise<FormActionResult>; name: string; label: string; hint: string; testId: string }) {
  return (
    <div className="space-y-1" data-testid={testId} data-on={String(on)}>
      <ActionForm action={action} submitLabel={`${on ? "☑" : "☐"} ${label}`} variant="secondary" className="[&>div]:mt-0" testId={`${testId}-form`}>
        <input type="hidden" name={name} value={String(!on)} />
      </ActionForm>
      <p className="text-xs text-slate-500">{hint}</p>
    </div>
  );
}

/** The company's rule that every task's template has an unsubscribe link: a toggle, as the senders page's rule on verified domains. */
export function RequireUnsubscribeToggle({ required }: { required: boolean }) {
  const { t } = useI18n();
  return <SettingToggle on={required} action={setRequireUnsubscribeLink} name="required" label={t.confirmSend.requireUnsubscribe} hint={t.confirmSend.requireUnsubscribeHint} testId="require-unsubscribe" />;
}
