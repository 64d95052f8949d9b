"use client";

import { useState } from "react";
import { ActionForm } from "@/components/forms/action-form";
import type { DepartmentOption } from "@/components/forms/department-field";
import { Field, Input, Select } from "@/components/ui/field";
import { Options } from "@/components/ui/options";
import { ShownOnce } from "@/components/ui/shown-once";
import { StatusMessage } from "@/components/ui/status-message";
import type { WebhookEventType } from "@/db/schema/webhooks";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { allowPrivateWebhookUrls, createWebhook, deleteWebhook, replayWebhookEvent, sendWebhookTest, setWebhookStatus } from "./actions";

const inline = "inline-block [&>div]:mt-0";

/** URL, events (`kinds`, given by the page so the schema module stays off the browser) and, for an admin, the owner. The secret is shown once after. */
export function CreateWebhookForm({ departments, kinds }: { departments: DepartmentOption[] | null; kinds: readonly WebhookEventType[] }) {
  const { t } = useI18n();
  const words = t.webhooks;
  const [created, setCreated] = useState<{ url: string; secret: string } | null>(null);
  return (
    <div className="space-y-3">
      <ActionForm action={createWebhook} submitLabel={words.add} testId="webhook-create-form" onDone={(data) => setCreated(data as { url: string; secret: string })}>
        {(errors) => (
          <div className="space-y-3">
            <div className="grid gap-3 md:grid-cols-2">
              <Field label={words.url} hint={words.urlHint} error={errors.url}>
                <Input name="url" type="url" required maxLength={2000} autoCapitalize="none" spellCheck={false} placeholder="https://" data-testid="webhook-url" />
              </Field>
              {departments ? (
                <Field label={words.owner} error={errors.departmentId}>
                  <Select name="departmentId" defaultValue="" data-testid="webhook-owner">
                    <option value="">{words.companyWide}</option>
                    <Options choices={departments.map((department) => ({ value: department.id, label: department.name }))} />
                  </Select>
                </Field>
              ) : null}
            </div>
            <fieldset>
              <legend className="text-sm font-medium text-slate-700">{words.events}</legend>
              <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
                {kinds.map((kind) => (
                  <label key={kind} className="flex items-center gap-1.5 text-sm">
                    <input type="checkbox" name="events" value={kind} defaultChecked data-testid={`webhook-event-${kind}`} />
                    {words.kinds[kind]}
                  </label>
                ))}
              </div>
              {errors.events ? <p className="mt-1 text-xs text-red-600">{errors.events}</p> : null}
            </fieldset>
          </div>
        )}
      </ActionForm>
      {created ? (
        <ShownOnce
          intro={format(words.secretIntro, { url: created.url })}
          secret={created.secret}
          labels={{ copy: words.copy, copied: words.copied, hint: words.copyHint }}
          testId="webhook-secret"
        />
      ) : null}
    </div>
  );
}

/** Send a test event, turn on or off, delete. */
export function WebhookActions({ endpoint }: { endpoint: { id: string; url: string; enabled: boolean } }) {
  const { t } = useI18n();
  const words = t.webhooks;
  const [tested, setTested] = useState(false);
  return (
    <div className="min-w-56 space-y-1.5 whitespace-normal">
      <div className="flex flex-wrap gap-1.5">
        <ActionForm action={sendWebhookTest} submitLabel={words.sendTest} variant="secondary" className={inline} onDone={() => setTested(true)} testId="webhook-test">
          <input type="hidden" name="id" value={endpoint.id} />
        </ActionForm>
        <ActionForm
          action={setWebhookStatus}
          submitLabel={endpoint.enabled ? t.common.disable : t.common.enable}
          variant={endpoint.enabled ? "danger" : "secondary"}
          className={inline}
          testId="webhook-status"
        >
          <input type="hidden" name="id" value={endpoint.id} />
          <input type="hidden" name="enabled" value={String(!endpoint.enabled)} />
        </ActionForm>
        <ActionForm
          action={deleteWebhook}
          submitLabel={words.delete}
          variant="danger"
          className={inline}
          confirmText={format(words.deleteConfirm, { url: endpoint.url })}
          testId="webhook-delete"
        >
          <input type="hidden" name="id" value={endpoint.id} />
        </ActionForm>
      </div>
      {tested ? (
        <StatusMessage ok size="xs">
          {words.testQueued}
        </StatusMessage>
      ) : null}
    </div>
  );
}

export function ReplayButton({ endpointId, messageId }: { endpointId: string; messageId: number }) {
  const { t } = useI18n();
  return (
    <ActionForm action={replayWebhookEvent} submitLabel={t.webhooks.replay} variant="secondary" className={inline} testId={`webhook-replay-${messageId}`}>
      <input type="hidden" name="id" value={endpointId} />
      <input type="hidden" name="messageId" value={messageId} />
    </ActionForm>
  );
}

/** For admins: whether webhook URLs may lead to loopback and private addresses (the environment may allow it regardless). */
export function AllowPrivateToggle({ allowed, byEnvironment }: { allowed: boolean; byEnvironment: boolean }) {
  const { t } = useI18n();
  return (
    <div className="space-y-1" data-testid="webhooks-allow-private" data-allowed={String(allowed)}>
      <ActionForm action={allowPrivateWebhookUrls} submitLabel={`${allowed ? "☑" : "☐"} ${t.webhooks.allowPrivate}`} variant="secondary" className="[&>div]:mt-0" testId="webhooks-allow-private-form">
        <input type="hidden" name="allowed" value={String(!allowed)} />
      </ActionForm>
      <p className="text-xs text-slate-500">{byEnvironment ? t.webhooks.allowPrivateByEnvironment : t.webhooks.allowPrivateHint}</p>
    </div>
  );
}
