"use client";

import { ActionForm } from "@/components/forms/action-form";
import { Field, Select } from "@/components/ui/field";
import { Options } from "@/components/ui/options";
import { useI18n } from "@/lib/i18n/client";
import { transferContacts } from "../actions";

export function TransferForm({ fromPoolId, pools }: { fromPoolId: string; pools: { id: string; name: string }[] }) {
  const { t } = useI18n();
  return (
    <ActionForm action={transferContacts} submitLabel={t.common.save} testId="transfer-form">
      {(errors) => (
        <div className="grid gap-3 md:grid-cols-2">
          <input type="hidden" name="fromPoolId" value={fromPoolId} />
          <Field label={t.pools.targetPool} error={errors.toPoolId}>
            <Select name="toPoolId" required>
              <Options choices={pools.map((pool) => ({ value: pool.id, label: pool.name }))} />
            </Select>
          </Field>
          <Field label={t.common.actions}>
            <Select name="mode">
              <option value="copy">{t.pools.copy}</option>
              <option value="move">{t.pools.move}</option>
            </Select>
          </Field>
        </div>
      )}
    </ActionForm>
  );
}
