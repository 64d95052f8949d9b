"use client";

import Link from "next/link";
import { ActionForm } from "@/components/forms/action-form";
import type { TaskKind, TaskStatus } from "@/db/schema";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { cancelTask, pauseTask, resumeTask } from "../actions";

const inline = "inline-block [&>div]:mt-0";
const link = "rounded-md px-3 py-1.5 text-sm font-medium ring-1 ring-inset ring-slate-300 hover:bg-slate-50";

/**
 * What can be done with a task in its status: edit while scheduled, pause, resume, cancel, duplicate.
 * An smtp task is sent as its client wrote it: no edit, no duplicate. A follow-up's audience is its
 * original's non-openers: no edit either.
 */
export function TaskActions({ task }: { task: { id: string; name: string; status: TaskStatus; kind: TaskKind; guardPaused?: boolean; followUp?: boolean } }) {
  const { t } = useI18n();
  const { status } = task;
  const changeable = task.kind !== "smtp" && task.kind !== "group";
  return (
    <div className="flex flex-wrap items-center gap-2" data-testid="task-actions">
      {changeable && !task.followUp && status === "scheduled" ? (
        <Link className={link} href={`/tasks/${task.id}/edit`} data-testid="task-edit">
          {t.tasks.edit}
        </Link>
      ) : null}
      {status === "scheduled" || status === "sending" ? (
        <ActionForm action={pauseTask} submitLabel={t.tasks.pause} variant="secondary" className={inline} testId="task-pause-form">
          <input type="hidden" name="id" value={task.id} />
        </ActionForm>
      ) : null}
      {status === "paused" ? (
        <ActionForm action={resumeTask} submitLabel={t.tasks.resume} className={task.guardPaused ? "inline-flex flex-wrap items-center gap-2 [&>div]:mt-0" : inline} testId="task-resume-form">
          <input type="hidden" name="id" value={task.id} />
          {task.guardPaused ? (
            <label className="flex items-center gap-1.5 text-sm text-slate-700" title={t.guard.ignoreHint}>
              <input type="checkbox" name="ignoreGuard" className="h-4 w-4 rounded border-slate-300" data-testid="task-ignore-guard" />
              {t.guard.ignore}
            </label>
          ) : null}
        </ActionForm>
      ) : null}
      {status === "scheduled" || status === "sending" || status === "paused" ? (
        <ActionForm action={cancelTask} submitLabel={t.tasks.cancel} variant="danger" className={inline} testId="task-cancel-form" confirmText={format(t.tasks.cancelConfirm, { name: task.name })}>
          <input type="hidden" name="id" value={task.id} />
        </ActionForm>
      ) : null}
      {changeable ? (
        <Link className={link} href={`/tasks/new?from=${task.id}`} data-testid="task-duplicate">
          {t.tasks.duplicate}
        </Link>
      ) : null}
    </div>
  );
}
