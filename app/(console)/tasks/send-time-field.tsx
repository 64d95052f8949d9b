"use client";

import { StatusMessage } from "@/components/ui/status-message";
import { useI18n } from "@/lib/i18n/client";

/** The form's field and the confirmation's check: the box is posted as "on" when ticked. */
export const SEND_TIME_FIELD = "sendTimeOptimization";

/**
 * Send-time optimisation (decision 0095) on an e-mail task: each recipient's message at their best
 * hour within a day of the start. Not beside an A/B test, whose share must leave at once: while the
 * test is ticked this box cannot be, and the other way round (the server refuses the pair too).
 */
export function SendTimeField({ checked, abTestOn, error, onChange }: { checked: boolean; abTestOn: boolean; error?: string; onChange: (checked: boolean) => void }) {
  const { t } = useI18n();
  const words = t.tasks.sendTime;
  return (
    <div className="space-y-1" data-testid="send-time">
      <label className="flex items-start gap-2 text-sm">
        <input
          type="checkbox"
          name={SEND_TIME_FIELD}
          checked={checked}
          disabled={abTestOn && !checked}
          onChange={(event) => onChange(event.target.checked)}
          className="mt-0.5 h-4 w-4 shrink-0 rounded border-slate-300 text-indigo-600 focus:ring-indigo-600"
          data-testid="send-time-on"
        />
        <span>
          {words.label}
          <span className="block text-xs text-slate-500">{abTestOn && !checked ? words.withAbTest : words.hint}</span>
        </span>
      </label>
      <StatusMessage size="xs" testId="send-time-error">{error}</StatusMessage>
    </div>
  );
}
