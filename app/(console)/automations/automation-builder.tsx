"use client";

import { useState } from "react";
import { Button } from "@/components/ui/button";
import { StatusMessage } from "@/components/ui/status-message";
import { useI18n } from "@/lib/i18n/client";
import { blankStep, errorUnder, STEP_TYPES, stepsOfDraft, triggerOfDraft, type AutomationLimits, type AutomationOptions, type BuilderSeed, type StepDraft, type StepType } from "./automation-draft";
import { NameAndSender } from "./name-and-sender";
import { StepRow, TAG_SUGGESTIONS } from "./step-row";
import { TriggerFields } from "./trigger-fields";
import { useCreateAutomation } from "./use-create-automation";

/** The general builder: a name, a sender, a trigger and a list of steps to add, move and remove. */
export function AutomationBuilder({ departmentId, options, limits, seed }: { departmentId: string | undefined; options: AutomationOptions; limits: AutomationLimits; seed: BuilderSeed }) {
  const { t } = useI18n();
  const words = t.automations.form;
  const [name, setName] = useState(seed.name);
  const [senderId, setSenderId] = useState(seed.senderId);
  const [trigger, setTrigger] = useState(seed.trigger);
  const [steps, setSteps] = useState<StepDraft[]>(seed.steps);
  const stepFields = steps.map((_, index) => `steps.${index}`);
  const { save, pending, errors, message } = useCreateAutomation(["name", "senderId", "trigger", "steps", ...stepFields]);

  const changeStep = (index: number, patch: Partial<StepDraft>) => setSteps((current) => current.map((step, at) => (at === index ? { ...step, ...patch } : step)));
  const removeStep = (index: number) => setSteps((current) => current.filter((_, at) => at !== index));
  const moveStep = (index: number, by: -1 | 1) =>
    setSteps((current) => {
      const moved = [...current];
      [moved[index], moved[index + by]] = [moved[index + by]!, moved[index]!];
      return moved;
    });
  // A new branch looks at the last e-mail above it, the one people usually mean.
  const addStep = (type: StepType) =>
    setSteps((current) => {
      const lastSend = current.findLast((step) => step.type === "send");
      return [...current, { ...blankStep(type), sendStep: type === "branch" ? (lastSend?.key ?? "") : "" }];
    });

  return (
    <form
      className="space-y-4"
      data-testid="automation-builder"
      onSubmit={(event) => {
        event.preventDefault();
        save({ departmentId, name, senderId, trigger: triggerOfDraft(trigger), steps: stepsOfDraft(steps) });
      }}
    >
      <NameAndSender name={name} senderId={senderId} senders={options.senders} errors={errors} onName={setName} onSender={setSenderId} />
      <TriggerFields trigger={trigger} options={options} limits={limits} errors={errors} onChange={setTrigger} />
      <fieldset className="space-y-2">
        <legend className="text-xs font-medium text-slate-700">{words.steps}</legend>
        <p className="text-xs text-slate-600">{words.stepsHint}</p>
        <datalist id={TAG_SUGGESTIONS}>
          {options.tags.map((tag) => (
            <option key={tag.id} value={tag.name} />
          ))}
        </datalist>
        <ol className="space-y-2" data-testid="automation-steps">
          {steps.map((step, index) => (
            <StepRow
              key={step.key}
              steps={steps}
              index={index}
              options={options}
              limits={limits}
              error={errorUnder(errors, `steps.${index}`)}
              onChange={(patch) => changeStep(index, patch)}
              onMove={(by) => moveStep(index, by)}
              onRemove={() => removeStep(index)}
            />
          ))}
        </ol>
        <StatusMessage size="xs" testId="steps-error">{errors.steps}</StatusMessage>
        {steps.length < limits.maxSteps ? (
          <div className="flex flex-wrap gap-2">
            {STEP_TYPES.map((type) => (
              <Button key={type} variant="secondary" onClick={() => addStep(type)} data-testid={`add-${type}`}>
                {words.add[type]}
              </Button>
            ))}
          </div>
        ) : null}
      </fieldset>
      <StatusMessage testId="automation-error">{message}</StatusMessage>
      <Button type="submit" disabled={pending} data-testid="automation-submit">
        {pending ? t.common.working : words.submit}
      </Button>
    </form>
  );
}
