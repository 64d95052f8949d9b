"use client";

import { useState } from "react";
import { ActionForm } from "@/components/forms/action-form";
import { DepartmentField } from "@/components/forms/department-field";
import { Button } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";
import { CHANNEL_SUPPRESSION_REASONS, type Channel } from "@/db/schema";
import { describeReason } from "@/lib/i18n/describe";
import type { ReasonParams } from "@/lib/i18n/reasons-en";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { addChannelSuppressions, removeChannelSuppression } from "./actions";

type Outcome = { added: number; alreadySuppressed: number; invalid: { line: number; value: string; reason: string; params: ReasonParams }[]; invalidCount: number };

/** Numbers (or WeCom ids) pasted onto one channel's list; what was not one is named back by line. */
export function AddChannelSuppressionsForm({ channel, departments }: { channel: Channel; departments: { id: string; name: string }[] | null }) {
  const { t } = useI18n();
  const [result, setResult] = useState<Outcome | null>(null);
  const more = result ? result.invalidCount - result.invalid.length : 0;
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
          {result ? (
            <div className="space-y-1 text-sm md:col-span-3" data-testid="channel-suppression-outcome">
              <p className="text-emerald-700">{format(t.suppressions.added, { added: result.added, already: result.alreadySuppressed, invalid: result.invalidCount })}</p>
              {result.invalid.length > 0 ? (
                <div className="text-amber-800" role="status">
                  <p>{t.channels.invalidLines}</p>
                  <ul className="ml-4 list-disc break-all">
                    {result.invalid.map((entry) => (
                      <li key={entry.line}>{format(t.suppressions.invalidLine, { line: entry.line, text: entry.value, problem: describeReason(t.server, entry.reason, entry.params) })}</li>
                    ))}
                  </ul>
                  {more > 0 ? <p>{format(t.suppressions.moreInvalid, { count: more })}</p> : null}
                </div>
              ) : null}
            </div>
          ) : null}
        </div>
      )}
    </ActionForm>
  );
}

export function RemoveChannelSuppression({ departmentId, channel, address }: { departmentId: string; channel: Channel; address: string }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  if (!open) {
    return (
      <Button variant="secondary" onClick={() => setOpen(true)}>
        {t.suppressions.remove}
      </Button>
    );
  }
  return (
    <ActionForm action={removeChannelSuppression} submitLabel={t.suppressions.remove} variant="danger" className="flex flex-wrap items-end gap-2 [&>div]:mt-0">
      {(errors) => (
        <>
          <input type="hidden" name="departmentId" value={departmentId} />
          <input type="hidden" name="channel" value={channel} />
          <input type="hidden" name="address" value={address} />
          <Input name="reason" required minLength={3} placeholder={t.suppressions.removeReason} aria-invalid={Boolean(errors.reason)} className="w-56 max-w-full" />
        </>
      )}
    </ActionForm>
  );
}
