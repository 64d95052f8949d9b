"use client";

import { useRouter } from "next/navigation";
import { ActionForm } from "@/components/forms/action-form";
import { Field, Input } from "@/components/ui/field";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { createFollowUp } from "../actions";

/** 重发给未打开者: how many have not opened the task by now, a subject (the original's, to change) and a wait in days. */
export function FollowUpForm({ taskId, taskName, nonOpeners, subject, maxDays }: { taskId: string; taskName: string; nonOpeners: number; subject: string; maxDays: number }) {
  const { t, locale } = useI18n();
  const router = useRouter();
  return (
    <ActionForm action={createFollowUp} submitLabel={t.tasks.followUp.submit} testId="follow-up-form" onDone={(data) => router.push(`/tasks/${(data as { id: string }).id}`)}>
      {(errors) => (
        <div className="space-y-3">
          <p className="text-sm text-slate-700" data-testid="follow-up-count">
            {format(t.tasks.followUp.nonOpeners, { count: nonOpeners.toLocaleString(locale) })}
          </p>
          <input type="hidden" name="id" value={taskId} />
          <Field label={t.tasks.followUp.name} error={errors.name}>
            <Input name="name" defaultValue={format(t.tasks.followUp.defaultName, { name: taskName }).slice(0, 200)} maxLength={200} required data-testid="follow-up-name" />
          </Field>
          <div className="grid gap-3 sm:grid-cols-[1fr_10rem]">
            <Field label={t.tasks.followUp.subject} hint={t.tasks.followUp.subjectHint} error={errors.subject}>
              <Input name="subject" defaultValue={subject} maxLength={500} data-testid="follow-up-subject" />
            </Field>
            <Field label={t.tasks.followUp.afterDays} hint={format(t.tasks.followUp.afterDaysHint, { max: maxDays })} error={errors.afterDays}>
              <Input name="afterDays" type="number" min={0} max={maxDays} step={1} defaultValue={3} required data-testid="follow-up-days" />
            </Field>
          </div>
        </div>
      )}
    </ActionForm>
  );
}
