"use client";

import { ActionForm } from "@/components/forms/action-form";
import { DepartmentField } from "@/components/forms/department-field";
import { Field, Input } from "@/components/ui/field";
import { useI18n } from "@/lib/i18n/client";
import { addDomain, approveDomain, checkDomain, createSender, deleteSender, rejectDomain, setRequireVerifiedDomains } from "./actions";

type Departments = { id: string; name: string }[] | null;
const inline = "inline-block [&>div]:mt-0";

export function AddDomainForm({ departments }: { departments: Departments }) {
  const { t } = useI18n();
  return (
    <ActionForm action={addDomain} submitLabel={t.senders.addDomain} testId="domain-add-form">
      {(errors) => (
        <div className="grid items-end gap-3 md:grid-cols-3">
          <Field label={t.senders.domain} error={errors.domain}>
            <Input name="domain" required placeholder="mail.example.com" data-testid="domain-name" />
          </Field>
          <DepartmentField departments={departments} error={errors.departmentId} />
          {departments ? (
            <label className="flex items-center gap-2 pb-2 text-sm">
              <input type="checkbox" name="companyWide" />
              {t.senders.companyWide}
            </label>
          ) : null}
        </div>
      )}
    </ActionForm>
  );
}

export function CheckDomainButton({ id }: { id: string }) {
  const { t } = useI18n();
  return (
    <ActionForm action={checkDomain} submitLabel={t.senders.check} variant="secondary" className={inline}>
      <input type="hidden" name="id" value={id} />
    </ActionForm>
  );
}

/** An admin's decision on a department's claim of a domain. */
export function DomainClaimButtons({ id, domain }: { id: string; domain: string }) {
  const { t } = useI18n();
  return (
    <span className="inline-flex gap-2" data-testid={`claim-${domain}`}>
      <ActionForm action={approveDomain} submitLabel={t.senders.approve} className={inline}>
        <input type="hidden" name="id" value={id} />
      </ActionForm>
      <ActionForm action={rejectDomain} submitLabel={t.senders.reject} variant="danger" className={inline} confirmText={t.senders.rejectConfirm}>
        <input type="hidden" name="id" value={id} />
      </ActionForm>
    </span>
  );
}

export function AddSenderForm({ departments }: { departments: Departments }) {
  const { t } = useI18n();
  return (
    <ActionForm action={createSender} submitLabel={t.senders.addSender} testId="sender-add-form">
      {(errors) => (
        <div className="grid gap-3 md:grid-cols-3">
          <DepartmentField departments={departments} error={errors.departmentId} />
          <Field label={t.senders.address} error={errors.address}>
            <Input name="address" type="email" required placeholder="news@mail.example.com" data-testid="sender-address" />
          </Field>
          <Field label={t.senders.displayName} error={errors.name}>
            <Input name="name" data-testid="sender-name" />
          </Field>
        </div>
      )}
    </ActionForm>
  );
}

export function DeleteSenderButton({ id }: { id: string }) {
  const { t } = useI18n();
  return (
    <ActionForm action={deleteSender} submitLabel={t.senders.remove} variant="danger" className={inline} confirmText={`${t.senders.remove}?`}>
      <input type="hidden" name="id" value={id} />
    </ActionForm>
  );
}

export function RequireVerifiedToggle({ required }: { required: boolean }) {
  const { t } = useI18n();
  return (
    <ActionForm action={setRequireVerifiedDomains} submitLabel={`${required ? "☑" : "☐"} ${t.senders.requireVerified}`} variant="secondary" className={inline} testId="require-verified">
      <input type="hidden" name="required" value={String(!required)} />
    </ActionForm>
  );
}
