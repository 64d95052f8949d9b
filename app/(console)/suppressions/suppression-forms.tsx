"use client";

import { useState } from "react";
import { ActionForm, type FormActionResult } from "@/components/forms/action-form";
import { DepartmentField } from "@/components/forms/department-field";
import { Button } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";
import { describeReason } from "@/lib/i18n/describe";
import type { ReasonParams } from "@/lib/i18n/reasons-en";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { addSuppressions, removeSuppression } from "./actions";

export type Outcome = { added: number; alreadySuppressed: number; invalid: { line: number; value: string; reason: string; params: ReasonParams }[]; invalidCount: number };

/** What a paste did, naming each line that was not an address (or number: `invalidTitle`) (the server sends the first of them). */
export function PasteOutcome({ outcome, invalidTitle, testId = "suppression-outcome" }: { outcome: Outcome; invalidTitle?: string; testId?: string }) {
  const { t } = useI18n();
  const more = outcome.invalidCount - outcome.invalid.length;
  return (
    <div className="space-y-1 text-sm md:col-span-3" data-testid={testId}>
      <p className="text-emerald-700">{format(t.suppressions.added, { added: outcome.added, already: outcome.alreadySuppressed, invalid: outcome.invalidCount })}</p>
      {outcome.invalid.length > 0 ? (
        <div className="text-amber-800" role="status">
          <p>{invalidTitle ?? t.suppressions.invalidLines}</p>
          <ul className="ml-4 list-disc break-all" data-testid="suppression-invalid-lines">
            {outcome.invalid.map((entry, index) => (
              <li key={index}>{format(t.suppressions.invalidLine, { line: entry.line, text: entry.value, problem: describeReason(t.server, entry.reason, entry.params) })}</li>
            ))}
          </ul>
          {more > 0 ? <p>{format(t.suppressions.moreInvalid, { count: more })}</p> : null}
        </div>
      ) : null}
    </div>
  );
}

export function AddSuppressionsForm({ departments }: { departments: { id: string; name: string }[] | null }) {
  const { t } = useI18n();
  const [result, setResult] = useState<Outcome | null>(null);
  return (
    <ActionForm
      action={addSuppressions}
      submitLabel={t.suppressions.add}
      testId="suppression-add-form"
      onDone={(data) => setResult(data as Outcome)}
    >
      {(errors) => (
        <div className="grid gap-3 md:grid-cols-3">
          <DepartmentField departments={departments} error={errors.departmentId} />
          <Field label={t.suppressions.addresses} error={errors.addresses}>
            <textarea name="addresses" required rows={3} className="block w-full rounded-md px-2.5 py-1.5 text-sm ring-1 ring-inset ring-slate-300" data-testid="suppression-addresses" />
          </Field>
          <div className="space-y-3">
            <Field label={t.suppressions.reason}>
              <Select name="reason" defaultValue="manual">
                {(["manual", "unsubscribed", "hard_bounce", "complaint"] as const).map((reason) => (
                  <option key={reason} value={reason}>
                    {t.suppressions.reasons[reason]}
                  </option>
                ))}
              </Select>
            </Field>
            <Field label={t.suppressions.note} error={errors.note}>
              <Input name="note" maxLength={500} />
            </Field>
          </div>
          {result ? <PasteOutcome outcome={result} /> : null}
        </div>
      )}
    </ActionForm>
  );
}

export function RemoveSuppression({ departmentId, email }: { departmentId: string; email: string }) {
  return <RemoveWithReason action={removeSuppression} fields={{ departmentId, email }} />;
}

/** Remove, then the reason asked for before the entry goes; `fields` are posted with it. */
export function RemoveWithReason({ action, fields }: { action: (form: FormData) => Promise<FormActionResult>; fields: Record<string, string> }) {
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
    <ActionForm action={action} submitLabel={t.suppressions.remove} variant="danger" className="flex flex-wrap items-end gap-2 [&>div]:mt-0">
      {(errors) => (
        <>
          {Object.entries(fields).map(([name, value]) => (
            <input key={name} type="hidden" name={name} value={value} />
          ))}
          <Input name="reason" required minLength={3} placeholder={t.suppressions.removeReason} aria-invalid={Boolean(errors.reason)} className="w-56 max-w-full" />
        </>
      )}
    </ActionForm>
  );
}
