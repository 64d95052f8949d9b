"use client";

import { ActionForm } from "@/components/forms/action-form";
import { Field, Input } from "@/components/ui/field";
import { useI18n } from "@/lib/i18n/client";
import { setPhoneRegion, setSmsOptOutSuffix } from "./actions";
import { SettingToggle } from "./company-form";

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

/** Whether every SMS of a task ends with the carriers' opt-out sentence ("拒收请回复R" for Chinese numbers, "Reply STOP to opt out" elsewhere). */
export function SmsOptOutSuffixToggle({ on }: { on: boolean }) {
  const { t } = useI18n();
  return <SettingToggle on={on} action={setSmsOptOutSuffix} name="optOutSuffix" label={t.channels.optOutSuffix} hint={t.channels.optOutSuffixHint} testId="sms-opt-out-suffix" />;
}
