"use client";

import { ActionForm } from "@/components/forms/action-form";
import { Field, Input } from "@/components/ui/field";
import { useI18n } from "@/lib/i18n/client";
import { updateCompany } from "./actions";

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
