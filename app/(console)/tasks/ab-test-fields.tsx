"use client";

import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";
import { StatusMessage } from "@/components/ui/status-message";
import type { AbTestConfig } from "@/db/schema";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { AB_FIELDS, abTestDraft, blankVariant, variantName, type AbLimits, type AbTestDraft, type AbVariantDraft } from "./ab-test-form";

/** The first refusal of a field or of any field under it (the server says "abTest.variants", zod "abTest.variants.subject.1"). */
function errorUnder(errors: Record<string, string>, field: string): string | undefined {
  return Object.entries(errors).find(([name]) => name === field || name.startsWith(`${field}.`))?.[1];
}

/** The template versions a variant may send: blank for the current one, then the older ones, newest first. */
function VersionChoice({ name, value, current, onChange, testId }: { name: string; value: string; current: number | null; onChange: (value: string) => void; testId: string }) {
  const { t } = useI18n();
  const words = t.tasks.abTest;
  if (current === null) {
    return (
      <Select name={name} value="" disabled data-testid={testId}>
        <option value="">{words.chooseTemplateFirst}</option>
      </Select>
    );
  }
  const older = Array.from({ length: current - 1 }, (_, index) => current - 1 - index);
  // A version the chosen template does not have (another template was chosen since) is the current one.
  const shown = Number(value) >= 1 && Number(value) < current ? value : "";
  return (
    <Select name={name} value={shown} onChange={(event) => onChange(event.target.value)} data-testid={testId}>
      <option value="">{format(words.currentVersion, { version: current })}</option>
      {older.map((version) => (
        <option key={version} value={version}>
          v{version}
        </option>
      ))}
    </Select>
  );
}

/**
 * The task form's A/B test: ticked, 2–4 variants (each a subject, a sender name and a template
 * version, blank for the task's own), the test share, the metric, the wait and who chooses the
 * winner. Unticked, none of its fields are posted.
 */
export function AbTestFields({
  initial,
  currentVersion,
  limits,
  errors,
  disabled = false,
  onToggle,
}: {
  initial: AbTestConfig | null;
  /** The chosen template's current version; null before one is chosen. */
  currentVersion: number | null;
  limits: AbLimits;
  errors: Record<string, string>;
  /** Its box cannot be ticked (sending at each contact's best hour is chosen). */
  disabled?: boolean;
  onToggle?: (on: boolean) => void;
}) {
  const { t } = useI18n();
  const words = t.tasks.abTest;
  const [on, setOn] = useState(initial !== null);
  const [test, setTest] = useState<AbTestDraft>(() => abTestDraft(initial));
  const change = (patch: Partial<AbTestDraft>) => setTest((current) => ({ ...current, ...patch }));
  const changeVariant = (index: number, patch: Partial<AbVariantDraft>) =>
    setTest((current) => ({ ...current, variants: current.variants.map((variant, at) => (at === index ? { ...variant, ...patch } : variant)) }));
  const removeVariant = (index: number) => setTest((current) => ({ ...current, variants: current.variants.filter((_, at) => at !== index) }));
  const addVariant = () => setTest((current) => ({ ...current, variants: [...current.variants, blankVariant()] }));

  return (
    <fieldset className="space-y-3 rounded-md border border-slate-200 p-3" data-testid="ab-test">
      <legend className="px-1 text-xs font-medium text-slate-700">{words.title}</legend>
      <label className="flex items-start gap-2 text-sm">
        <input
          type="checkbox"
          name={AB_FIELDS.on}
          checked={on}
          disabled={disabled && !on}
          onChange={(event) => {
            setOn(event.target.checked);
            onToggle?.(event.target.checked);
          }}
          className="mt-0.5 h-4 w-4 shrink-0 rounded border-slate-300 text-indigo-600 focus:ring-indigo-600"
          data-testid="ab-test-on"
        />
        {words.enable}
      </label>
      <StatusMessage size="xs" testId="ab-test-error">{errors[AB_FIELDS.on]}</StatusMessage>
      {on ? (
        <div className="space-y-3">
          <p className="text-xs text-slate-600">{words.hint}</p>
          <ol className="space-y-2">
            {test.variants.map((variant, index) => {
              const letter = variantName(index);
              return (
                <li key={index} className="space-y-2 rounded-md bg-slate-50 p-2" data-testid={`ab-variant-${letter}`}>
                  <div className="flex items-center justify-between gap-2 text-xs font-semibold text-slate-700">
                    {format(words.variant, { variant: letter })}
                    {test.variants.length > limits.minVariants ? (
                      <Button variant="ghost" className="px-2 py-0.5 text-xs" onClick={() => removeVariant(index)} aria-label={format(words.removeVariantLabel, { variant: letter })} data-testid={`ab-remove-${letter}`}>
                        {words.removeVariant}
                      </Button>
                    ) : null}
                  </div>
                  <div className="grid gap-2 sm:grid-cols-[2fr_1fr_11rem]">
                    <Field label={words.subject}>
                      <Input name={AB_FIELDS.subject} value={variant.subject} onChange={(event) => changeVariant(index, { subject: event.target.value })} placeholder={words.subjectPlaceholder} maxLength={500} data-testid={`ab-subject-${letter}`} />
                    </Field>
                    <Field label={words.fromName}>
                      <Input name={AB_FIELDS.fromName} value={variant.fromName} onChange={(event) => changeVariant(index, { fromName: event.target.value })} placeholder={words.fromNamePlaceholder} maxLength={200} data-testid={`ab-from-name-${letter}`} />
                    </Field>
                    <Field label={words.templateVersion}>
                      <VersionChoice name={AB_FIELDS.templateVersion} value={variant.templateVersion} current={currentVersion} onChange={(templateVersion) => changeVariant(index, { templateVersion })} testId={`ab-version-${letter}`} />
                    </Field>
                  </div>
                </li>
              );
            })}
          </ol>
          <StatusMessage size="xs" testId="ab-variants-error">{errorUnder(errors, "abTest.variants")}</StatusMessage>
          {test.variants.length < limits.maxVariants ? (
            <Button variant="secondary" onClick={addVariant} data-testid="ab-add-variant">
              {words.addVariant}
            </Button>
          ) : null}
          <div className="grid gap-3 sm:grid-cols-3">
            <Field label={words.sharePercent} hint={format(words.shareHint, { min: limits.minShare, max: limits.maxShare })} error={errorUnder(errors, AB_FIELDS.sharePercent)}>
              <Input name={AB_FIELDS.sharePercent} type="number" min={limits.minShare} max={limits.maxShare} step={1} value={test.sharePercent} onChange={(event) => change({ sharePercent: event.target.value })} required data-testid="ab-share" />
            </Field>
            <Field label={words.waitHours} hint={format(words.waitHint, { max: limits.maxWaitHours })} error={errorUnder(errors, AB_FIELDS.waitHours)}>
              <Input name={AB_FIELDS.waitHours} type="number" min={1} max={limits.maxWaitHours} step={1} value={test.waitHours} onChange={(event) => change({ waitHours: event.target.value })} required data-testid="ab-wait" />
            </Field>
            <Field label={words.metric} error={errorUnder(errors, AB_FIELDS.metric)}>
              <Select name={AB_FIELDS.metric} value={test.metric} onChange={(event) => change({ metric: event.target.value === "clicks" ? "clicks" : "opens" })} data-testid="ab-metric">
                <option value="opens">{words.metricOptions.opens}</option>
                <option value="clicks">{words.metricOptions.clicks}</option>
              </Select>
            </Field>
          </div>
          <fieldset className="space-y-1.5 text-sm">
            <legend className="text-xs font-medium text-slate-700">{words.winnerBy}</legend>
            {(["rule", "hand"] as const).map((by) => (
              <label key={by} className="flex items-start gap-1.5">
                <input
                  type="radio"
                  name={AB_FIELDS.winnerBy}
                  value={by}
                  checked={test.winnerBy === by}
                  onChange={() => change({ winnerBy: by })}
                  className="mt-0.5 h-4 w-4 shrink-0 border-slate-300 text-indigo-600 focus:ring-indigo-600"
                  data-testid={`ab-winner-by-${by}`}
                />
                {by === "rule" ? words.winnerByRule : words.winnerByHand}
              </label>
            ))}
            <StatusMessage size="xs">{errorUnder(errors, AB_FIELDS.winnerBy)}</StatusMessage>
          </fieldset>
          <p className="text-xs text-slate-500">{format(words.ruleHint, { min: limits.minSent })}</p>
        </div>
      ) : null}
    </fieldset>
  );
}
