"use client";

import { useState } from "react";
import { ActionForm } from "@/components/forms/action-form";
import { DepartmentField } from "@/components/forms/department-field";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { clearPool, clearUncategorised, createPool, deletePool, updatePool } from "./actions";

const inline = "inline-block [&>div]:mt-0";

export function CreatePoolForm({ departments }: { departments: { id: string; name: string }[] | null }) {
  const { t } = useI18n();
  return (
    <ActionForm action={createPool} submitLabel={t.common.create} testId="pool-create-form">
      {(errors) => (
        <div className="grid gap-3 md:grid-cols-3">
          <DepartmentField departments={departments} error={errors.departmentId} />
          <Field label={t.pools.name} error={errors.name}>
            <Input name="name" required maxLength={100} data-testid="pool-name" />
          </Field>
          <Field label={t.pools.description} error={errors.description}>
            <Input name="description" maxLength={500} />
          </Field>
        </div>
      )}
    </ActionForm>
  );
}

export function ClearUncategorised({ departmentId, departmentName, count }: { departmentId: string; departmentName: string; count: number }) {
  const { t } = useI18n();
  if (count === 0) return null;
  return (
    <ActionForm
      action={clearUncategorised}
      submitLabel={t.pools.clear}
      variant="danger"
      className={inline}
      confirmText={format(t.pools.clearUncategorisedConfirm, { count, department: departmentName })}
    >
      <input type="hidden" name="departmentId" value={departmentId} />
    </ActionForm>
  );
}

export function PoolRowActions({ pool }: { pool: { id: string; name: string; description: string; contactCount: number } }) {
  const { t } = useI18n();
  const [editing, setEditing] = useState(false);
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-1.5">
        <ActionForm
          action={clearPool}
          submitLabel={t.pools.clear}
          variant="danger"
          className={inline}
          testId={`clear-pool-${pool.name}`}
          confirmText={format(t.pools.clearConfirm, { count: pool.contactCount, name: pool.name })}
        >
          <input type="hidden" name="id" value={pool.id} />
        </ActionForm>
        <Button variant="secondary" onClick={() => setEditing(!editing)} data-testid={`edit-pool-${pool.name}`}>
          {t.common.edit}
        </Button>
        <ActionForm
          action={deletePool}
          submitLabel={t.pools.delete}
          variant="danger"
          className={inline}
          confirmText={format(t.pools.deleteConfirm, { name: pool.name })}
        >
          <input type="hidden" name="id" value={pool.id} />
        </ActionForm>
      </div>
      {editing ? (
        <ActionForm action={updatePool} submitLabel={t.common.save} resetOnSuccess={false} onDone={() => setEditing(false)}>
          {(errors) => (
            <div className="grid gap-2 md:grid-cols-2">
              <input type="hidden" name="id" value={pool.id} />
              <Field label={t.pools.name} error={errors.name}>
                <Input name="name" defaultValue={pool.name} required />
              </Field>
              <Field label={t.pools.description} error={errors.description}>
                <Input name="description" defaultValue={pool.description} />
              </Field>
            </div>
          )}
        </ActionForm>
      ) : null}
    </div>
  );
}
