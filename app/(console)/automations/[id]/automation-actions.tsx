"use client";

import { ActionForm } from "@/components/forms/action-form";
import type { AutomationStatus } from "@/db/schema";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { pauseAutomation, resumeAutomation } from "../actions";

/** Pause (confirmed first) while active, resume while paused. */
export function AutomationActions({ automation }: { automation: { id: string; name: string; status: AutomationStatus } }) {
  const { t } = useI18n();
  const words = t.automations.report;
  const paused = automation.status === "paused";
  return (
    <ActionForm
      action={paused ? resumeAutomation : pauseAutomation}
      submitLabel={paused ? words.resume : words.pause}
      variant={paused ? "primary" : "secondary"}
      confirmText={paused ? undefined : format(words.pauseConfirm, { name: automation.name })}
      className="inline-block [&>div]:mt-0"
      testId={paused ? "automation-resume-form" : "automation-pause-form"}
    >
      <input type="hidden" name="id" value={automation.id} />
    </ActionForm>
  );
}
