"use client";

import { useRouter } from "next/navigation";
import { ActionForm } from "@/components/forms/action-form";
import type { AutomationStatus } from "@/db/schema";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { deleteAutomation, pauseAutomation, resumeAutomation } from "../actions";

/** Pause (confirmed first) while active, resume while paused; delete (confirmed first), back to the list. */
export function AutomationActions({ automation }: { automation: { id: string; name: string; status: AutomationStatus } }) {
  const { t } = useI18n();
  const router = useRouter();
  const words = t.automations.report;
  const paused = automation.status === "paused";
  return (
    <span className="inline-flex flex-wrap items-start gap-2">
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
      <ActionForm
        action={deleteAutomation}
        submitLabel={words.delete}
        variant="danger"
        confirmText={format(words.deleteConfirm, { name: automation.name })}
        onDone={() => router.push("/automations")}
        className="inline-block [&>div]:mt-0"
        testId="automation-delete-form"
      >
        <input type="hidden" name="id" value={automation.id} />
      </ActionForm>
    </span>
  );
}
