"use client";

import { Field, Input } from "@/components/ui/field";
import { StatusMessage } from "@/components/ui/status-message";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { ChooseField } from "./choose-field";
import { TRIGGER_TYPES, type AutomationLimits, type AutomationOptions, type TriggerDraft } from "./automation-draft";

/** 触发条件: what enrols a contact — subscribing to a pool, being given a tag, a date coming round, or a click in a task. */
export function TriggerFields({
  trigger,
  options,
  limits,
  errors,
  onChange,
}: {
  trigger: TriggerDraft;
  options: AutomationOptions;
  limits: AutomationLimits;
  errors: Record<string, string>;
  onChange: (trigger: TriggerDraft) => void;
}) {
  const { t } = useI18n();
  const words = t.automations.form;
  const change = (patch: Partial<TriggerDraft>) => onChange({ ...trigger, ...patch });
  return (
    <fieldset className="space-y-3" data-testid="automation-trigger">
      <legend className="text-xs font-medium text-slate-700">{words.trigger}</legend>
      <div className="flex flex-wrap gap-x-4 gap-y-1.5 text-sm">
        {TRIGGER_TYPES.map((type) => (
          <label key={type} className="flex items-center gap-1.5">
            <input
              type="radio"
              name="triggerType"
              className="h-4 w-4 border-slate-300 text-indigo-600 focus:ring-indigo-600"
              checked={trigger.type === type}
              onChange={() => change({ type })}
              data-testid={`trigger-${type}`}
            />
            {words.triggerTypes[type]}
          </label>
        ))}
      </div>
      <StatusMessage size="xs">{errors["trigger.type"] ?? errors.trigger}</StatusMessage>
      {trigger.type === "subscribed" ? (
        <ChooseField label={words.pool} placeholder={words.choosePool} value={trigger.poolId} rows={options.pools} error={errors["trigger.poolId"]} onChange={(poolId) => change({ poolId })} testId="trigger-pool" />
      ) : null}
      {trigger.type === "tag_added" ? (
        <ChooseField label={words.tag} placeholder={words.chooseTag} value={trigger.tagId} rows={options.tags} error={errors["trigger.tagId"]} onChange={(tagId) => change({ tagId })} testId="trigger-tag" />
      ) : null}
      {trigger.type === "clicked" ? (
        <ChooseField label={words.task} placeholder={words.chooseTask} value={trigger.taskId} rows={options.tasks} error={errors["trigger.taskId"]} onChange={(taskId) => change({ taskId })} testId="trigger-task" />
      ) : null}
      {trigger.type === "date_attribute" ? (
        <div className="grid gap-3 sm:grid-cols-2">
          <Field label={words.attribute} hint={words.attributeHint} error={errors["trigger.attribute"]}>
            <Input value={trigger.attribute} onChange={(event) => change({ attribute: event.target.value })} maxLength={100} required data-testid="trigger-attribute" />
          </Field>
          <Field label={words.daysBefore} hint={format(words.daysBeforeHint, { max: limits.maxDaysBefore })} error={errors["trigger.daysBefore"]}>
            <Input type="number" min={0} max={limits.maxDaysBefore} step={1} value={trigger.daysBefore} onChange={(event) => change({ daysBefore: event.target.value })} required data-testid="trigger-days-before" />
          </Field>
          <label className="flex items-start gap-2 text-sm sm:col-span-2">
            <input
              type="checkbox"
              checked={trigger.yearly}
              onChange={(event) => change({ yearly: event.target.checked })}
              className="mt-0.5 h-4 w-4 shrink-0 rounded border-slate-300 text-indigo-600 focus:ring-indigo-600"
              data-testid="trigger-yearly"
            />
            {words.yearly}
          </label>
        </div>
      ) : null}
    </fieldset>
  );
}
