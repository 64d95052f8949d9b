"use client";

import { useState } from "react";
import { ActionForm } from "@/components/forms/action-form";
import { Field, Input, Select } from "@/components/ui/field";
import { Options } from "@/components/ui/options";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { createApiKey, revokeApiKey, setApiKeyRateLimit } from "./actions";

export function ApiKeyForm({ scopes, defaultRate }: { scopes: { value: string; label: string }[]; defaultRate: number }) {
  const { t } = useI18n();
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <div className="space-y-3">
      <ActionForm
        action={createApiKey}
        submitLabel={t.common.create}
        testId="api-key-create-form"
        onDone={(data) => setSecret((data as { secret: string }).secret)}
      >
        {(errors) => (
          <div className="grid gap-3 md:grid-cols-3">
            <Field label={t.common.name} error={errors.name}>
              <Input name="name" data-testid="api-key-name" />
            </Field>
            <Field label={t.apiKeys.scope} error={errors.scope}>
              <Select name="scope" data-testid="api-key-scope">
                <Options choices={scopes} />
              </Select>
            </Field>
            <Field label={t.apiKeys.rateLimit} hint={format(t.apiKeys.rateLimitHint, { rate: defaultRate })} error={errors.rateLimit}>
              <Input name="rateLimit" inputMode="numeric" placeholder={String(defaultRate)} data-testid="api-key-rate-limit" />
            </Field>
          </div>
        )}
      </ActionForm>
      {secret ? (
        <div className="rounded-md bg-emerald-50 p-3 text-sm text-emerald-900 ring-1 ring-emerald-200">
          {t.apiKeys.shownOnce}
          <code className="mt-1 block select-all break-all font-mono text-xs" data-testid="api-key-secret">
            {secret}
          </code>
        </div>
      ) : null}
    </div>
  );
}

export function RevokeApiKey({ id }: { id: string }) {
  const { t } = useI18n();
  return (
    <ActionForm action={revokeApiKey} submitLabel={t.apiKeys.revoke} variant="danger" className="[&>div]:mt-0" confirmText={`${t.apiKeys.revoke}?`}>
      <input type="hidden" name="id" value={id} />
    </ActionForm>
  );
}

/** The key's requests a minute, changed in place; empty goes back to the server's default. */
export function ApiKeyRateLimit({ id, prefix, rateLimit, defaultRate }: { id: string; prefix: string; rateLimit: number | null; defaultRate: number }) {
  const { t } = useI18n();
  return (
    <ActionForm action={setApiKeyRateLimit} submitLabel={t.common.save} resetOnSuccess={false} className="flex flex-wrap items-center gap-2 [&>div]:mt-0" testId={`api-key-rate-form-${prefix}`}>
      {(errors) => (
        <>
          <input type="hidden" name="id" value={id} />
          <Input
            name="rateLimit"
            inputMode="numeric"
            aria-label={`${t.apiKeys.rateLimit} (${prefix}…)`}
            defaultValue={rateLimit ?? ""}
            placeholder={format(t.apiKeys.defaultRate, { rate: defaultRate })}
            className="w-32"
            data-testid={`api-key-rate-${prefix}`}
          />
          {errors.rateLimit ? (
            <span className="text-xs text-red-600" role="alert">
              {errors.rateLimit}
            </span>
          ) : null}
        </>
      )}
    </ActionForm>
  );
}
