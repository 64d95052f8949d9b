"use client";

import { useState } from "react";
import { ActionForm } from "@/components/forms/action-form";
import { Button } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";
import { Options } from "@/components/ui/options";
import { useI18n } from "@/lib/i18n/client";
import { changeUserRole, createUser, resetPassword, setUserStatus } from "./actions";

type DepartmentOption = { id: string; name: string };
type Role = "admin" | "department" | "manager";
type ExistingUser = {
  id: string;
  email: string;
  name: string;
  role: Role;
  departmentId: string | null;
  readsAllDepartments: boolean;
  managedDepartmentIds: string[];
  disabled: boolean;
};

function PlacementFields({
  departments,
  errors,
  user,
}: {
  departments: DepartmentOption[];
  errors: Record<string, string>;
  user?: ExistingUser;
}) {
  const { t } = useI18n();
  const [role, setRole] = useState<Role>(user?.role ?? "department");
  return (
    <>
      <Field label={t.common.role} error={errors.role}>
        <Select name="role" value={role} onChange={(event) => setRole(event.target.value as Role)} data-testid="user-role">
          <option value="department">{t.roles.department}</option>
          <option value="manager">{t.roles.manager}</option>
          <option value="admin">{t.roles.admin}</option>
        </Select>
      </Field>
      {role === "department" ? (
        <Field label={t.common.department} error={errors.departmentId}>
          <Select name="departmentId" defaultValue={user?.departmentId ?? ""} required data-testid="user-department">
            <option value="">{t.users.chooseDepartment}</option>
            <Options choices={departments.map((department) => ({ value: department.id, label: department.name }))} />
          </Select>
        </Field>
      ) : null}
      {role === "manager" ? (
        <fieldset className="space-y-1 text-sm md:col-span-2">
          <label className="flex items-center gap-2">
            <input type="checkbox" name="readsAllDepartments" defaultChecked={user?.readsAllDepartments ?? true} />
            {t.users.readsAll}
          </label>
          <div className="text-xs text-slate-500">{t.users.grants}</div>
          <div className="flex flex-wrap gap-3">
            {departments.map((department) => (
              <label key={department.id} className="flex items-center gap-1">
                <input
                  type="checkbox"
                  name="managedDepartmentIds"
                  value={department.id}
                  defaultChecked={user?.managedDepartmentIds.includes(department.id)}
                />
                {department.name}
              </label>
            ))}
          </div>
          {errors.managedDepartmentIds ? <p className="text-xs text-red-600">{errors.managedDepartmentIds}</p> : null}
        </fieldset>
      ) : null}
    </>
  );
}

export function UserForm({ departments }: { departments: DepartmentOption[] }) {
  const { t } = useI18n();
  return (
    <ActionForm action={createUser} submitLabel={t.common.create} testId="user-create-form">
      {(errors) => (
        <div className="grid gap-3 md:grid-cols-3">
          <Field label={t.common.email} error={errors.email}>
            <Input name="email" type="email" required data-testid="user-email" />
          </Field>
          <Field label={t.common.name} error={errors.name}>
            <Input name="name" data-testid="user-name" />
          </Field>
          <Field label={t.common.password} error={errors.password}>
            <Input name="password" type="password" required minLength={8} autoComplete="new-password" data-testid="user-password" />
          </Field>
          <PlacementFields departments={departments} errors={errors} />
        </div>
      )}
    </ActionForm>
  );
}

export function UserRowActions({ user, departments }: { user: ExistingUser; departments: DepartmentOption[] }) {
  const { t } = useI18n();
  const [panel, setPanel] = useState<"none" | "role" | "password">("none");
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap gap-1.5">
        <ActionForm
          action={setUserStatus}
          submitLabel={user.disabled ? t.common.enable : t.common.disable}
          variant={user.disabled ? "secondary" : "danger"}
          className="[&>div]:mt-0"
          testId={`user-status-${user.email}`}
        >
          <input type="hidden" name="id" value={user.id} />
          <input type="hidden" name="disabled" value={String(!user.disabled)} />
        </ActionForm>
        <Button variant="secondary" onClick={() => setPanel(panel === "role" ? "none" : "role")}>
          {t.users.changeRole}
        </Button>
        <Button variant="secondary" onClick={() => setPanel(panel === "password" ? "none" : "password")}>
          {t.users.resetPassword}
        </Button>
      </div>
      {panel === "role" ? (
        <ActionForm action={changeUserRole} submitLabel={t.common.save} resetOnSuccess={false} onDone={() => setPanel("none")}>
          {(errors) => (
            <div className="grid gap-2 md:grid-cols-2">
              <input type="hidden" name="id" value={user.id} />
              <input type="hidden" name="name" value={user.name} />
              <PlacementFields departments={departments} errors={errors} user={user} />
            </div>
          )}
        </ActionForm>
      ) : null}
      {panel === "password" ? (
        <ActionForm action={resetPassword} submitLabel={t.common.save} onDone={() => setPanel("none")}>
          {(errors) => (
            <Field label={t.users.newPassword} error={errors.password}>
              <input type="hidden" name="id" value={user.id} />
              <Input name="password" type="password" required minLength={8} autoComplete="new-password" />
            </Field>
          )}
        </ActionForm>
      ) : null}
    </div>
  );
}
