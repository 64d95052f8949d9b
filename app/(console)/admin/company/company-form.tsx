"use client";

import { ActionForm } from "@/components/forms/action-form";
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

/** The company's rule that every task's template has an unsubscribe link: a toggle, as the senders page's rule on verified domains. */
export function RequireUnsubscribeToggle({ required }: { required: boolean }) {
  const { t } = useI18n();
  return (
    <div className="space-y-1" data-testid="require-unsubscribe" data-required={String(required)}>
      <ActionForm action={setRequireUnsubscribeLink} submitLabel={`${required ? "☑" : "☐"} ${t.confirmSend.requireUnsubscribe}`} variant="secondary" className="[&>div]:mt-0" testId="require-unsubscribe-form">
        <input type="hidden" name="required" value={String(!required)} />
      </ActionForm>
      <p className="text-xs text-slate-500">{t.confirmSend.requireUnsubscribeHint}</p>
    </div>
  );
}
