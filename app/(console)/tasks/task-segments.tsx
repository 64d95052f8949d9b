"use client";

import { useI18n } from "@/lib/i18n/client";

type Item = { id: string; name: string; hint?: string };

/** Checkboxes sharing a name (the task form's pools, its segments), each item's name and an optional hint. */
export function CheckboxList({ name, items, chosen, onChange, testId }: { name: string; items: Item[]; chosen: string[]; onChange: (ids: string[]) => void; testId: string }) {
  const toggle = (id: string, on: boolean) => onChange(on ? [...chosen, id] : chosen.filter((other) => other !== id));
  return (
    <div className="grid max-h-56 gap-1 overflow-y-auto rounded-md p-2 text-sm ring-1 ring-inset ring-slate-200 sm:grid-cols-2" data-testid={`task-${testId}s`}>
      {items.map((item) => (
        <label key={item.id} className="flex items-center gap-2">
          <input
            type="checkbox"
            className="h-4 w-4 rounded border-slate-300 text-indigo-600"
            name={name}
            value={item.id}
            checked={chosen.includes(item.id)}
            onChange={(event) => toggle(item.id, event.target.checked)}
            data-testid={`task-${testId}-${item.name}`}
          />
          <span className="truncate">{item.name}</span>
          {item.hint ? <span className="text-xs text-slate-500">{item.hint}</span> : null}
        </label>
      ))}
    </div>
  );
}

/** The task form's segments, beside its pools: each chosen one is evaluated when the task starts. */
export function SegmentChoices({ segments, chosen, onChange }: { segments: { id: string; name: string }[]; chosen: string[]; onChange: (ids: string[]) => void }) {
  const { t } = useI18n();
  if (segments.length === 0) return null;
  return (
    <fieldset className="space-y-1">
      <legend className="text-xs font-medium text-slate-700">{t.segments.segmentsOfTask}</legend>
      <CheckboxList name="segmentIds" items={segments} chosen={chosen} onChange={onChange} testId="segment" />
    </fieldset>
  );
}
