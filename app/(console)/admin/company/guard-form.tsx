"use client";

import { ActionForm } from "@/components/forms/action-form";
import { Field, Input } from "@/components/ui/field";
import { useI18n } from "@/lib/i18n/client";
import { setGuardThresholds } from "./actions";

/** The reputation guard's thresholds, company-wide (decision 0071). */
export function GuardThresholdsForm({ thresholds }: { thresholds: { hardBounces: number; unknownUsers: number; complaints: number; minAnswers: number } }) {
  const { t } = useI18n();
  return (
    <ActionForm action={setGuardThresholds} submitLabel={t.guard.save} resetOnSuccess={false} testId="guard-form">
      {(errors) => (
        <div className="space-y-3">
          <p className="text-xs text-slate-500">{t.guard.hint}</p>
          <div className="grid gap-3 sm:grid-cols-2">
            <Field label={t.guard.complaints} error={errors.complaints}>
              <Input name="complaints" type="number" step="any" min={0} max={100} defaultValue={thresholds.complaints} required />
            </Field>
            <Field label={t.guard.unknownUsers} error={errors.unknownUsers}>
              <Input name="unknownUsers" type="number" step="any" min={0} max={100} defaultValue={thresholds.unknownUsers} required />
            </Field>
            <Field label={t.guard.hardBounces} error={errors.hardBounces}>
              <Input name="hardBounces" type="number" step="any" min={0} max={100} defaultValue={thresholds.hardBounces} required />
            </Field>
            <Field label={t.guard.minAnswers} error={errors.minAnswers}>
              <Input name="minAnswers" type="number" step={1} min={1} defaultValue={thresholds.minAnswers} required />
            </Field>
          </div>
        </div>
      )}
    </ActionForm>
  );
}
