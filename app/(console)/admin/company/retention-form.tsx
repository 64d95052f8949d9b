"use client";

import { ActionForm } from "@/components/forms/action-form";
import { Field, Input } from "@/components/ui/field";
import { useI18n } from "@/lib/i18n/client";
import { setRetentionMonths } from "./actions";

/** The personal-data retention setting (decision 0079): months after which delivery data loses its person; empty is off. */
export function RetentionForm({ months }: { months: number | null }) {
  const { t } = useI18n();
  return (
    <ActionForm action={setRetentionMonths} submitLabel={t.privacy.retentionSave} resetOnSuccess={false} testId="retention-form">
      {(errors) => (
        <div className="space-y-3">
          <p className="text-xs text-slate-500">{t.privacy.retentionHint}</p>
          <Field label={t.privacy.retentionMonths} error={errors.months}>
            <Input name="months" type="number" step={1} min={1} max={120} defaultValue={months ?? ""} placeholder={t.privacy.retentionOff} className="w-32" data-testid="retention-months" />
          </Field>
        </div>
      )}
    </ActionForm>
  );
}
