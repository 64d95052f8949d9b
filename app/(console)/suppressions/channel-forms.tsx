"use client";

import { useState } from "react";
import { ActionForm } from "@/components/forms/action-form";
import { DepartmentField } from "@/components/forms/department-field";
import { Field, Input, Select } from "@/components/ui/field";
import { CHANNEL_SUPPRESSION_REASONS, type ContactChannel } from "@/db/schema";
import { useI18n } from "@/lib/i18n/client";
import { addChannelSuppressions, removeChannelSuppression } from "./actions";
import { PasteOutcome, RemoveWithReason, type Outcome } from "./suppression-forms";

/** Numbers (or WeCom ids) pasted onto one channel's list; what was not one is named back by line. */
export function AddChannelSuppressionsForm({ channel, departments }: { channel: ContactChannel; departments: { id: string; name: string }[] | null }) {
  const { t } = useI18n();
  const [result, setResult] = useState<Outcome | null>(null);
  return (
    <ActionForm action={addChannelSuppressions} submitLabel={t.suppressions.add} testId="channel-suppression-add-form" onDone={(data) => setResult(data as Outcome)}>
      {(errors) => (
        <div className="grid gap-3 md:grid-cols-3">
          <input type="hidden" name="channel" value={channel} />
          <DepartmentField departments={departments} error={errors.departmentId} />
          <Field label={channel === "wecom" ? t.channels.suppressionWecomIds : t.channels.suppressionNumbers} error={errors.addresses}>
            <textarea name="addresses" required rows={3} className="block w-full rounded-md px-2.5 py-1.5 text-sm ring-1 ring-inset ring-slate-300" data-testid="channel-suppression-addresses" />
          </Field>
          <div className="space-y-3">
            <Field label={t.suppressions.reason}>
              <Select name="reason" defaultValue="manual">
                {CHANNEL_SUPPRESSION_REASONS.map((reason) => (
                  <option key={reason} value={reason}>
                    {t.channels.reasons[reason]}
                  </option>
                ))}
              </Select>
            </Field>
            <Field label={t.suppressions.note} error={errors.note}>
              <Input name="note" maxLength={500} />
            </Field>
          </div>
          {result ? <PasteOutcome outcome={result} invalidTitle={t.channels.invalidLines} testId="channel-suppression-outcome" /> : null}
        </div>
      )}
    </ActionForm>
  );
}

export function RemoveChannelSuppression({ departmentId, channel, address }: { departmentId: string; channel: ContactChannel; address: string }) {
  return <RemoveWithReason action={removeChannelSuppression} fields={{ departmentId, channel, address }} />;
}
