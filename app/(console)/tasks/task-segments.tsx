"use client";

import { useI18n } from "@/lib/i18n/client";

/** The task form's segments, beside its pools: each chosen one is evaluated when the task starts. */
export function SegmentChoices({ segments, chosen, onChange }: { segments: { id: string; name: string }[]; chosen: string[]; onChange: (ids: string[]) => void }) {
  const { t } = useI18n();
  if (segments.length === 0) return null;
  const toggle = (id: string, on: boolean) => onChange(on ? [...chosen, id] : chosen.filter((other) => other !== id));
  return (
    <fieldset className="space-y-1">
      <legend className="text-xs font-medium text-slate-700">{t.segments.segmentsOfTask}</legend>
      <div className="grid max-h-40 gap-1 overflow-y-auto rounded-md p-2 text-sm ring-1 ring-inset ring-slate-200 sm:grid-cols-2" data-testid="task-segments">
        {segments.map((segment) => (
          <label key={segment.id} className="flex items-center gap-2">
            <input
              type="checkbox"
              className="h-4 w-4 rounded border-slate-300 text-indigo-600"
              name="segmentIds"
              value={segment.id}
              checked={chosen.includes(segment.id)}
              onChange={(event) => toggle(segment.id, event.target.checked)}
              data-testid={`task-segment-${segment.name}`}
            />
            <span className="truncate">{segment.name}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
