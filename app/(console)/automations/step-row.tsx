"use client";

import type { ReactNode } from "react";
import { Button } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";
import { Options } from "@/components/ui/options";
import { StatusMessage } from "@/components/ui/status-message";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { END, type AutomationLimits, type AutomationOptions, type StepDraft } from "./automation-draft";
import { ChooseField } from "./choose-field";

/** The id of the list of the department's tag names the tag fields suggest from (rendered once by the builder). */
export const TAG_SUGGESTIONS = "automation-tag-names";

/** A select of other steps; a value no longer among them (its step moved or went) shows as the placeholder, so nothing is chosen silently. */
function StepChoice({ label, value, choices, placeholder, onChange, testId }: { label: string; value: string; choices: { value: string; label: string }[]; placeholder: string; onChange: (value: string) => void; testId: string }) {
  return (
    <Field label={label}>
      <Select value={value} onChange={(event) => onChange(event.target.value)} required data-testid={testId}>
        {choices.some((choice) => choice.value === value) ? null : <option value={value}>{placeholder}</option>}
        <Options choices={choices} />
      </Select>
    </Field>
  );
}

/** A small button of the row's header: move up, move down, remove. */
function RowButton({ label, disabled, onClick, testId, children }: { label: string; disabled?: boolean; onClick: () => void; testId: string; children: ReactNode }) {
  return (
    <Button variant="ghost" className="px-2 py-0.5" aria-label={label} title={label} disabled={disabled} onClick={onClick} data-testid={testId}>
      <span aria-hidden="true">{children}</span>
    </Button>
  );
}

/** One step of the builder: its number and kind, the buttons that move or remove it, and its fields; the server's refusal of it below. */
export function StepRow({
  steps,
  index,
  options,
  limits,
  error,
  onChange,
  onMove,
  onRemove,
}: {
  steps: StepDraft[];
  index: number;
  options: Pick<AutomationOptions, "templates">;
  limits: AutomationLimits;
  error?: string;
  onChange: (patch: Partial<StepDraft>) => void;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
}) {
  const { t } = useI18n();
  const words = t.automations.form;
  const said = t.automations.step;
  const step = steps[index]!;
  const number = index + 1;
  const templateName = (id: string) => options.templates.find((template) => template.id === id)?.name ?? "…";
  const earlierSends = steps.slice(0, index).flatMap((other, at) => (other.type === "send" ? [{ value: other.key, label: format(words.sendStepOption, { step: at + 1, template: templateName(other.templateId) }) }] : []));
  const targets = [
    { value: END, label: words.end },
    ...steps.slice(index + 1).map((other, at) => ({ value: other.key, label: `${format(words.goTo, { step: index + at + 2 })} · ${said.types[other.type]}` })),
  ];

  return (
    <li className="space-y-2 rounded-md bg-slate-50 p-3" data-testid={`step-${index}`} data-type={step.type}>
      <div className="flex items-center justify-between gap-2">
        <span className="text-xs font-semibold text-slate-700">
          {format(said.number, { step: number })} · {said.types[step.type]}
        </span>
        <span className="flex shrink-0 items-center">
          <RowButton label={format(words.moveUp, { step: number })} disabled={index === 0} onClick={() => onMove(-1)} testId={`step-up-${index}`}>↑</RowButton>
          <RowButton label={format(words.moveDown, { step: number })} disabled={index === steps.length - 1} onClick={() => onMove(1)} testId={`step-down-${index}`}>↓</RowButton>
          <RowButton label={format(words.remove, { step: number })} onClick={onRemove} testId={`step-remove-${index}`}>✕</RowButton>
        </span>
      </div>
      {step.type === "wait" ? (
        <Field label={words.hours} hint={format(words.hoursHint, { max: limits.maxWaitHours })}>
          <Input type="number" min={1} max={limits.maxWaitHours} step={1} value={step.hours} onChange={(event) => onChange({ hours: event.target.value })} required className="w-32" data-testid={`step-hours-${index}`} />
        </Field>
      ) : null}
      {step.type === "send" ? (
        <ChooseField label={words.template} placeholder={words.chooseTemplate} value={step.templateId} rows={options.templates} onChange={(templateId) => onChange({ templateId })} testId={`step-template-${index}`} />
      ) : null}
      {step.type === "tag" ? (
        <div className="grid gap-2 sm:grid-cols-2">
          <Field label={words.addTags} hint={words.tagsHint}>
            <Input value={step.add} onChange={(event) => onChange({ add: event.target.value })} list={TAG_SUGGESTIONS} maxLength={2000} data-testid={`step-add-${index}`} />
          </Field>
          <Field label={words.removeTags} hint={words.tagsHint}>
            <Input value={step.remove} onChange={(event) => onChange({ remove: event.target.value })} list={TAG_SUGGESTIONS} maxLength={2000} data-testid={`step-remove-tags-${index}`} />
          </Field>
        </div>
      ) : null}
      {step.type === "branch" ? (
        earlierSends.length === 0 ? (
          <p className="text-xs text-amber-800" data-testid={`step-needs-send-${index}`}>{words.needsEarlierSend}</p>
        ) : (
          <div className="grid gap-2 sm:grid-cols-2">
            <Field label={words.branchOn}>
              <Select value={step.on} onChange={(event) => onChange({ on: event.target.value === "clicked" ? "clicked" : "opened" })} data-testid={`step-on-${index}`}>
                <option value="opened">{words.branchOnOptions.opened}</option>
                <option value="clicked">{words.branchOnOptions.clicked}</option>
              </Select>
            </Field>
            <StepChoice label={words.sendStep} value={step.sendStep} choices={earlierSends} placeholder={words.chooseStep} onChange={(sendStep) => onChange({ sendStep })} testId={`step-send-step-${index}`} />
            <StepChoice label={words.yes} value={step.yes} choices={targets} placeholder={words.chooseStep} onChange={(yes) => onChange({ yes })} testId={`step-yes-${index}`} />
            <StepChoice label={words.no} value={step.no} choices={targets} placeholder={words.chooseStep} onChange={(no) => onChange({ no })} testId={`step-no-${index}`} />
          </div>
        )
      ) : null}
      <StatusMessage size="xs" testId={`step-error-${index}`}>{error}</StatusMessage>
    </li>
  );
}
