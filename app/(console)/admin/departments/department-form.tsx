"use client";

import { useState } from "react";
import { ActionForm } from "@/components/forms/action-form";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { useI18n } from "@/lib/i18n/client";
import { createDepartment, updateDepartment } from "./actions";

type Existing = { id: string; name: string; description: string; quotaAllocated: number | null; disabled: boolean };

/** Creates a department, or (given one) edits it behind an Edit toggle. */
export function DepartmentForm({ department }: { department?: Existing }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(!department);
  if (!open) {
    return (
      <Button variant="secondary" onClick={() => setOpen(true)} data-testid={`edit-department-${department?.name}`}>
        {t.common.edit}
      </Button>
    );
  }
  return (
    <ActionForm
      action={department ? updateDepartment : createDepartment}
      submitLabel={department ? t.common.save : t.common.create}
      resetOnSuccess={!department}
      onDone={() => department && setOpen(false)}
      testId={department ? `department-edit-form-${department.name}` : "department-create-form"}
    >
      {(errors) => (
        <div className="grid gap-3 md:grid-cols-3">
          {department ? <input type="hidden" name="id" value={department.id} /> : null}
          <Field label={t.common.name} error={errors.name}>
            <Input name="name" required defaultValue={department?.name} data-testid="department-name" />
          </Field>
          <Field label={t.common.description} error={errors.description}>
            <Input name="description" defaultValue={department?.description} />
          </Field>
          <Field label={t.departments.quota} hint={t.departments.quotaHint} error={errors.quotaAllocated}>
            <Input name="quotaAllocated" type="number" min={0} defaultValue={department?.quotaAllocated ?? ""} data-testid="department-quota" />
          </Field>
          {department ? (
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" name="disabled" defaultChecked={department.disabled} />
              {t.common.disabled}
            </label>
          ) : null}
        </div>
      )}
    </ActionForm>
  );
}
