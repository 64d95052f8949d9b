"use client";

import { useState } from "react";
import { Field, Select } from "@/components/ui/field";
import { Options } from "@/components/ui/options";
import type { AutomationStep } from "@/db/schema";
import { useI18n } from "@/lib/i18n/client";
import { AutomationBuilder } from "./automation-builder";
import { blankStep, blankTrigger, type AutomationLimits, type AutomationOptions, type BuilderSeed } from "./automation-draft";
import { WelcomeSeriesForm } from "./welcome-series-form";

type Mode = "welcome" | "custom";

const blankSeed = (): BuilderSeed => ({ name: "", senderId: "", trigger: blankTrigger(), steps: [blankStep("send")] });

/**
 * 新建自动化: the welcome series first, your own steps beside it. "Adjust these steps" carries the
 * series as chosen into the builder. An admin chooses the department first; changing it starts
 * both forms again, since every choice in them is the department's.
 */
export function AutomationForm({ options, seriesSteps, limits }: { options: AutomationOptions; seriesSteps: AutomationStep[]; limits: AutomationLimits }) {
  const { t } = useI18n();
  const words = t.automations.form;
  const [departmentId, setDepartmentId] = useState(options.departments?.[0]?.id ?? "");
  const [mode, setMode] = useState<Mode>("welcome");
  const [seed, setSeed] = useState<BuilderSeed>(blankSeed);
  // Each seed is a fresh builder (its key), so adjusting the series twice starts from the series each time.
  const [seedNumber, setSeedNumber] = useState(0);
  const mine = <Row extends { departmentId: string }>(rows: Row[]) => (options.departments ? rows.filter((row) => row.departmentId === departmentId) : rows);
  const scoped: AutomationOptions = { ...options, templates: mine(options.templates), senders: mine(options.senders), pools: mine(options.pools), tags: mine(options.tags), tasks: mine(options.tasks) };
  const department = options.departments ? departmentId : undefined;
  const chooseDepartment = (id: string) => {
    setDepartmentId(id);
    setSeed(blankSeed());
  };

  const modes: { mode: Mode; label: string; hint: string }[] = [
    { mode: "welcome", label: words.welcome, hint: words.welcomeShort },
    { mode: "custom", label: words.custom, hint: words.customHint },
  ];

  return (
    <div className="max-w-3xl space-y-4">
      {options.departments ? (
        <Field label={t.common.department}>
          <Select value={departmentId} onChange={(event) => chooseDepartment(event.target.value)} data-testid="automation-department">
            <Options choices={options.departments.map((row) => ({ value: row.id, label: row.name }))} />
          </Select>
        </Field>
      ) : null}
      <fieldset>
        <legend className="mb-1.5 text-xs font-medium text-slate-700">{words.start}</legend>
        <div className="grid gap-2 sm:grid-cols-2">
          {modes.map((choice) => (
            <label
              key={choice.mode}
              className={`flex cursor-pointer items-start gap-2 rounded-md p-3 text-sm ring-1 ${mode === choice.mode ? "bg-indigo-50 ring-indigo-300" : "ring-slate-200 hover:bg-slate-50"}`}
            >
              <input
                type="radio"
                name="mode"
                checked={mode === choice.mode}
                onChange={() => setMode(choice.mode)}
                className="mt-0.5 h-4 w-4 shrink-0 border-slate-300 text-indigo-600 focus:ring-indigo-600"
                data-testid={`automation-mode-${choice.mode}`}
              />
              <span>
                <span className="block font-medium text-slate-900">{choice.label}</span>
                <span className="block text-xs text-slate-600">{choice.hint}</span>
              </span>
            </label>
          ))}
        </div>
      </fieldset>
      {/* Both stay mounted, the other hidden, so going back and forth keeps what was typed in each. */}
      <div className={mode === "welcome" ? "" : "hidden"}>
        <WelcomeSeriesForm
          key={departmentId}
          departmentId={department}
          options={scoped}
          seriesSteps={seriesSteps}
          onAdjust={(adjusted) => {
            setSeed(adjusted);
            setSeedNumber((number) => number + 1);
            setMode("custom");
          }}
        />
      </div>
      <div className={mode === "custom" ? "" : "hidden"}>
        <AutomationBuilder key={`${departmentId}:${seedNumber}`} departmentId={department} options={scoped} limits={limits} seed={seed} />
      </div>
    </div>
  );
}
