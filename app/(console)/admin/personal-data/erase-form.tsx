"use client";

import { useState } from "react";
import { ActionForm } from "@/components/forms/action-form";
import { Field, Input } from "@/components/ui/field";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { erasePersonalData } from "./actions";

/** What an erasure of this address will take, as the confirmation says it. */
export type ErasureScope = { contacts: number; departments: number; deliveries: number; stored: number; audit: number };

/** The erasure: what will go, named, and the address typed again before the button does anything. */
export function EraseForm({ email, scope }: { email: string; scope: ErasureScope }) {
  const { t } = useI18n();
  const [done, setDone] = useState<string | null>(null);
  if (done) {
    return (
      <p className="text-sm text-emerald-700" role="status" data-testid="privacy-erased">
        {done}
      </p>
    );
  }
  return (
    <ActionForm
      action={erasePersonalData}
      submitLabel={t.privacy.eraseButton}
      variant="danger"
      testId="privacy-erase-form"
      onDone={(data) => {
        const erased = data as { contacts: number; deliveries: number };
        setDone(format(t.privacy.erased, { contacts: erased.contacts, deliveries: erased.deliveries }));
      }}
    >
      {(errors) => (
        <div className="space-y-3">
          <p className="text-sm text-slate-700" data-testid="privacy-erase-scope">
            {format(t.privacy.eraseWill, { ...scope })}
          </p>
          <input type="hidden" name="email" value={email} />
          <Field label={t.privacy.confirmLabel} error={errors.confirm}>
            <Input name="confirm" required autoComplete="off" className="w-full max-w-sm" data-testid="privacy-erase-confirm" />
          </Field>
        </div>
      )}
    </ActionForm>
  );
}
