"use client";

import { Field, Select } from "@/components/ui/field";
import { Options } from "@/components/ui/options";
import { useI18n } from "@/lib/i18n/client";

export type DepartmentOption = { id: string; name: string };

/** The department an admin acts for; department users have one already, so they get nothing. */
export function DepartmentField({ departments, error }: { departments: DepartmentOption[] | null; error?: string }) {
  const { t } = useI18n();
  if (!departments) return null;
  return (
    <Field label={t.common.department} error={error}>
      <Select name="departmentId" required>
        <Options choices={departments.map((department) => ({ value: department.id, label: department.name }))} />
      </Select>
    </Field>
  );
}
