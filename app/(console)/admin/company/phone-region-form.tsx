"use client";

import { ActionForm } from "@/components/forms/action-form";
import { Field, Input } from "@/components/ui/field";
import { useI18n } from "@/lib/i18n/client";
import { setPhoneRegion } from "./actions";

/** The company's phone region: national numbers in imports and contact forms are read as this region's. */
export function PhoneRegionForm({ region }: { region: string }) {
  const { t } = useI18n();
  return (
    <ActionForm action={setPhoneRegion} submitLabel={t.common.save} resetOnSuccess={false} testId="phone-region-form">
      {(errors) => (
        <div className="space-y-3">
          <p className="text-xs text-slate-500">{t.channels.regionHint}</p>
          <Field label={t.channels.region} error={errors.region}>
            <Input name="region" defaultValue={region} maxLength={2} minLength={2} required autoComplete="off" className="w-24 uppercase" data-testid="phone-region" />
          </Field>
        </div>
      )}
    </ActionForm>
  );
}
