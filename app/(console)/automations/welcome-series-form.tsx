"use client";

import { useState } from "react";
import { Button } from "@/components/ui/button";
import { StatusMessage } from "@/components/ui/status-message";
import type { AutomationStep } from "@/db/schema";
import { useI18n } from "@/lib/i18n/client";
import { blankTrigger, draftOfSteps, WELCOME_SLOTS, type AutomationOptions, type BuilderSeed, type WelcomeSlot as Slot } from "./automation-draft";
import { ChooseField } from "./choose-field";
import { namesFrom, stepInWords } from "./automation-words";
import { NameAndSender } from "./name-and-sender";
import { useCreateAutomation } from "./use-create-automation";

/**
 * 欢迎系列: a pool, a sender and three templates make the series the server defines (its steps as
 * the page hands them over), created as it is or handed to the builder to adjust.
 */
export function WelcomeSeriesForm({
  departmentId,
  options,
  seriesSteps,
  onAdjust,
}: {
  departmentId: string | undefined;
  options: AutomationOptions;
  /** lib/automations welcomeSeries with each slot's name as its template id. */
  seriesSteps: AutomationStep[];
  onAdjust: (seed: BuilderSeed) => void;
}) {
  const { t } = useI18n();
  const words = t.automations.form;
  const [name, setName] = useState(words.welcomeName);
  const [senderId, setSenderId] = useState("");
  const [poolId, setPoolId] = useState("");
  const [templates, setTemplates] = useState<Record<Slot, string>>({ welcome: "", followUp: "", reminder: "" });
  const slotAt = (index: number) => {
    const step = seriesSteps[index];
    return step?.type === "send" ? WELCOME_SLOTS.find((slot) => slot === step.templateId) : undefined;
  };
  const steps = seriesSteps.map((step, index): AutomationStep => {
    const slot = slotAt(index);
    return step.type === "send" && slot ? { ...step, templateId: templates[slot] } : step;
  });
  // A refusal of a send step ("steps.5") stands beside the template chosen for it.
  const stepFields = steps.map((_, index) => `steps.${index}`);
  const { save, pending, errors, message } = useCreateAutomation(["name", "senderId", "trigger", ...stepFields]);
  const slotError = (slot: Slot) => stepFields.map((field, index) => (slotAt(index) === slot ? errors[field] : undefined)).find(Boolean);
  const names = namesFrom({ pools: [], tags: [], tasks: [], templates: [["", "…"], ...options.templates.map((template): [string, string] => [template.id, template.name])] });
  const slotLabels: Record<Slot, string> = { welcome: words.welcomeTemplate, followUp: words.followUpTemplate, reminder: words.reminderTemplate };

  return (
    <form
      className="space-y-4"
      data-testid="welcome-form"
      onSubmit={(event) => {
        event.preventDefault();
        save({ departmentId, name, senderId, trigger: { type: "subscribed", poolId }, steps });
      }}
    >
      <p className="text-sm text-slate-600">{words.welcomeHint}</p>
      <NameAndSender name={name} senderId={senderId} senders={options.senders} errors={errors} onName={setName} onSender={setSenderId} />
      <ChooseField label={words.pool} placeholder={words.choosePool} value={poolId} rows={options.pools} error={errors["trigger.poolId"] ?? errors.trigger} onChange={setPoolId} testId="welcome-pool" />
      <div className="grid gap-3 md:grid-cols-3">
        {WELCOME_SLOTS.map((slot) => (
          <ChooseField
            key={slot}
            label={slotLabels[slot]}
            placeholder={words.chooseTemplate}
            value={templates[slot]}
            rows={options.templates}
            error={slotError(slot)}
            onChange={(id) => setTemplates({ ...templates, [slot]: id })}
            testId={`welcome-${slot}`}
          />
        ))}
      </div>
      <div className="space-y-1">
        <p className="text-xs font-medium text-slate-700">{words.seriesSteps}</p>
        <ol className="list-inside list-decimal space-y-0.5 text-sm text-slate-700" data-testid="welcome-steps">
          {steps.map((step, index) => (
            <li key={index}>{stepInWords(t.automations, step, names)}</li>
          ))}
        </ol>
      </div>
      <StatusMessage testId="welcome-error">{message}</StatusMessage>
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={pending} data-testid="welcome-submit">
          {pending ? t.common.working : words.createWelcome}
        </Button>
        <Button variant="secondary" onClick={() => onAdjust({ name, senderId, trigger: blankTrigger(poolId), steps: draftOfSteps(steps) })} data-testid="welcome-adjust">
          {words.adjust}
        </Button>
      </div>
    </form>
  );
}
