"use client";

import { useState } from "react";
import { ActionForm } from "@/components/forms/action-form";
import { DepartmentField, type DepartmentOption } from "@/components/forms/department-field";
import { ShownOnce } from "@/components/ui/shown-once";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { StatusMessage } from "@/components/ui/status-message";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { changeSmtpPassword, createSmtpAccount, deleteSmtpAccount, setSmtpAccountLimits, setSmtpAccountStatus } from "./actions";

const inline = "inline-block [&>div]:mt-0";

export type SmtpAccountRow = {
  id: string;
  username: string;
  disabled: boolean;
  messagesPerMinute: number | null;
  maxRecipients: number | null;
  allowedIps: string[] | null;
  tracking: boolean;
};

/** Shows a password the server generated, once, with the user name it goes with. */
function GeneratedPassword({ username, password }: { username: string; password: string }) {
  const { t } = useI18n();
  return (
    <ShownOnce
      intro={format(t.smtpAccounts.generated, { username })}
      secret={password}
      labels={{ copy: t.smtpAccounts.copy, copied: t.smtpAccounts.copied, hint: t.smtpAccounts.copyHint }}
      testId="smtp-generated-password"
    />
  );
}

export function CreateSmtpAccountForm({ departments }: { departments: DepartmentOption[] | null }) {
  const { t } = useI18n();
  const [created, setCreated] = useState<{ username: string; password: string | null } | null>(null);
  return (
    <div className="space-y-3">
      <ActionForm
        action={createSmtpAccount}
        submitLabel={t.smtpAccounts.add}
        testId="smtp-account-create-form"
        onDone={(data) => setCreated(data as { username: string; password: string | null })}
      >
        {(errors) => (
          <div className="grid gap-3 md:grid-cols-2 xl:grid-cols-4">
            <DepartmentField departments={departments} error={errors.departmentId} />
            <Field label={t.smtpAccounts.username} hint={t.smtpAccounts.usernameHint} error={errors.username}>
              <Input name="username" required minLength={3} maxLength={64} autoCapitalize="none" autoComplete="off" spellCheck={false} data-testid="smtp-username" />
            </Field>
            <Field label={t.smtpAccounts.password} hint={t.smtpAccounts.passwordHint} error={errors.password}>
              <Input name="password" type="password" minLength={8} maxLength={72} autoComplete="new-password" data-testid="smtp-password" />
            </Field>
            <Field label={t.smtpAccounts.note} error={errors.note}>
              <Input name="note" maxLength={500} data-testid="smtp-note" />
            </Field>
          </div>
        )}
      </ActionForm>
      {created?.password ? <GeneratedPassword username={created.username} password={created.password} /> : null}
    </div>
  );
}

function LimitsForm({ account, onDone }: { account: SmtpAccountRow; onDone: () => void }) {
  const { t } = useI18n();
  return (
    <ActionForm
      action={setSmtpAccountLimits}
      submitLabel={t.common.save}
      resetOnSuccess={false}
      onDone={onDone}
      testId={`smtp-limits-form-${account.username}`}
    >
      {(errors) => (
        <div className="grid gap-2 sm:grid-cols-2">
          <input type="hidden" name="id" value={account.id} />
          <Field label={t.smtpAccounts.messagesPerMinute} hint={t.smtpAccounts.emptyNoLimit} error={errors.messagesPerMinute}>
            <Input name="messagesPerMinute" type="number" min={1} defaultValue={account.messagesPerMinute ?? ""} data-testid="smtp-limit-rate" />
          </Field>
          <Field label={t.smtpAccounts.maxRecipients} hint={t.smtpAccounts.emptyNoLimit} error={errors.maxRecipients}>
            <Input name="maxRecipients" type="number" min={1} defaultValue={account.maxRecipients ?? ""} data-testid="smtp-limit-recipients" />
          </Field>
          <div className="sm:col-span-2">
            <Field label={t.smtpAccounts.allowedIps} hint={t.smtpAccounts.allowedIpsHint} error={errors.allowedIps}>
              <textarea
                name="allowedIps"
                rows={2}
                defaultValue={(account.allowedIps ?? []).join("\n")}
                className="block w-full rounded-md border-0 px-2.5 py-1.5 font-mono text-xs ring-1 ring-inset ring-slate-300"
                data-testid="smtp-limit-ips"
              />
            </Field>
          </div>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" name="tracking" defaultChecked={account.tracking} data-testid="smtp-limit-tracking" />
            {t.smtpAccounts.tracking}
          </label>
        </div>
      )}
    </ActionForm>
  );
}

function PasswordForm({ account, onDone }: { account: SmtpAccountRow; onDone: (generated: string | null) => void }) {
  const { t } = useI18n();
  return (
    <ActionForm
      action={changeSmtpPassword}
      submitLabel={t.common.save}
      onDone={(data) => onDone((data as { password: string | null }).password)}
      testId={`smtp-password-form-${account.username}`}
    >
      {(errors) => (
        <Field label={t.smtpAccounts.newPassword} hint={t.smtpAccounts.passwordHint} error={errors.password}>
          <input type="hidden" name="id" value={account.id} />
          <Input name="password" type="password" minLength={8} maxLength={72} autoComplete="new-password" />
        </Field>
      )}
    </ActionForm>
  );
}

/** Change password, disable or enable, limits and delete: what a department does with one of its accounts. */
export function SmtpAccountActions({ account }: { account: SmtpAccountRow }) {
  const { t } = useI18n();
  const [panel, setPanel] = useState<"none" | "password" | "limits">("none");
  const [changed, setChanged] = useState<{ generated: string | null } | null>(null);
  const toggle = (next: "password" | "limits") => {
    setChanged(null);
    setPanel(panel === next ? "none" : next);
  };
  return (
    <div className="min-w-64 space-y-2 whitespace-normal">
      <div className="flex flex-wrap gap-1.5">
        <Button variant="secondary" onClick={() => toggle("password")} data-testid={`smtp-password-${account.username}`}>
          {t.smtpAccounts.changePassword}
        </Button>
        <Button variant="secondary" onClick={() => toggle("limits")} data-testid={`smtp-limits-${account.username}`}>
          {t.smtpAccounts.limits}
        </Button>
        <ActionForm
          action={setSmtpAccountStatus}
          submitLabel={account.disabled ? t.common.enable : t.common.disable}
          variant={account.disabled ? "secondary" : "danger"}
          className={inline}
          testId={`smtp-status-${account.username}`}
        >
          <input type="hidden" name="id" value={account.id} />
          <input type="hidden" name="disabled" value={String(!account.disabled)} />
        </ActionForm>
        <ActionForm
          action={deleteSmtpAccount}
          submitLabel={t.smtpAccounts.delete}
          variant="danger"
          className={inline}
          confirmText={format(t.smtpAccounts.deleteConfirm, { username: account.username })}
          testId={`smtp-delete-${account.username}`}
        >
          <input type="hidden" name="id" value={account.id} />
        </ActionForm>
      </div>
      {panel === "password" ? (
        <PasswordForm
          account={account}
          onDone={(generated) => {
            setPanel("none");
            setChanged({ generated });
          }}
        />
      ) : null}
      {panel === "limits" ? <LimitsForm account={account} onDone={() => setPanel("none")} /> : null}
      {changed?.generated ? <GeneratedPassword username={account.username} password={changed.generated} /> : null}
      {changed && !changed.generated ? (
        <StatusMessage ok size="xs">
          {t.smtpAccounts.passwordSaved}
        </StatusMessage>
      ) : null}
    </div>
  );
}
