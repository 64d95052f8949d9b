"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import type { TaskStatus } from "@/db/schema";
import type { TaskProgress } from "@/lib/sending/task-pages";
import { useI18n } from "@/lib/i18n/client";
import { isLive, TaskStatusBadge } from "./task-status";

const POLL_MS = 1_500;

const SEGMENTS = [
  { key: "sent", colour: "bg-emerald-500" },
  { key: "failed", colour: "bg-red-500" },
  { key: "suppressed", colour: "bg-amber-400" },
  { key: "cancelled", colour: "bg-slate-400" },
  { key: "queued", colour: "bg-indigo-200" },
] as const;

/**
 * A task's stacked progress bar (sent / failed / suppressed / cancelled / queued). While the
 * task is scheduled or sending it polls its progress route; when the status changes it
 * refreshes the page so the actions and the delivery log follow. The parent keys it by
 * status, so a refreshed page starts it again from the server's numbers.
 */
export function TaskProgressBar({ initial, compact = false }: { initial: TaskProgress; compact?: boolean }) {
  const { t, locale } = useI18n();
  const router = useRouter();
  const [progress, setProgress] = useState(initial);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!isLive(initial.status)) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const response = await fetch(`/tasks/${initial.id}/progress`, { cache: "no-store" });
        const body = await response.json();
        if (!response.ok) throw new Error(body?.error?.message ?? `HTTP ${response.status}`);
        if (stopped) return;
        const next = body as TaskProgress;
        setProgress(next);
        setError(null);
        if (next.status !== initial.status) return router.refresh();
      } catch (failure) {
        if (!stopped) setError((failure as Error).message);
      }
      if (!stopped) timer = setTimeout(poll, POLL_MS);
    };
    timer = setTimeout(poll, POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [initial.id, initial.status, router]);

  const counts: Record<(typeof SEGMENTS)[number]["key"], number> = {
    // A bounce that came back later is counted in both; the bar shows it once, as failed.
    sent: progress.sent - progress.bounced,
    failed: progress.failed,
    suppressed: progress.suppressed,
    cancelled: progress.cancelled,
    queued: progress.queued,
  };
  const sum = SEGMENTS.reduce((total, segment) => total + counts[segment.key], 0);
  const total = Math.max(progress.total, sum);
  const done = total - counts.queued;
  const percent = total > 0 ? Math.floor((done / total) * 100) : progress.status === "completed" ? 100 : 0;
  const number = (value: number) => value.toLocaleString(locale);

  const bar = (
    <div
      className={`flex w-full overflow-hidden rounded-full bg-slate-100 ${compact ? "h-2" : "h-3"}`}
      role="progressbar"
      aria-valuenow={percent}
      aria-valuemin={0}
      aria-valuemax={100}
      data-testid="progress-bar"
      data-percent={percent}
      title={SEGMENTS.map((segment) => `${t.tasks.counts[segment.key]} ${number(counts[segment.key])}`).join(" · ")}
    >
      {SEGMENTS.map((segment) =>
        counts[segment.key] > 0 ? (
          <div key={segment.key} className={`h-full ${segment.colour} transition-all`} style={{ width: `${(counts[segment.key] / total) * 100}%` }} data-segment={segment.key} />
        ) : null,
      )}
    </div>
  );

  if (compact) {
    return (
      <div className="w-48 space-y-1" data-testid={`task-progress-${initial.id}`} data-status={progress.status}>
        {bar}
        <div className="text-xs tabular-nums text-slate-500">
          {number(done)} / {number(total)}
        </div>
      </div>
    );
  }

  return (
    <div className="space-y-3" data-testid="task-progress" data-status={progress.status}>
      <div className="flex items-center gap-3 text-sm">
        <span data-testid="task-status">
          <TaskStatusBadge status={progress.status as TaskStatus} labels={t.tasks.statuses} />
        </span>
        <span className="tabular-nums text-slate-500">{percent}%</span>
        {!progress.materialized && progress.status === "sending" ? <span className="text-xs text-slate-500">{t.tasks.preparing}</span> : null}
      </div>
      {bar}
      <dl className="flex flex-wrap gap-x-5 gap-y-2 text-sm">
        <div className="flex items-center gap-1.5">
          <dt className="text-slate-500">{t.tasks.counts.total}</dt>
          <dd className="font-semibold tabular-nums" data-testid="count-total">
            {number(total)}
          </dd>
        </div>
        {SEGMENTS.map((segment) => (
          <div key={segment.key} className="flex items-center gap-1.5">
            <span className={`inline-block h-2.5 w-2.5 rounded-sm ${segment.colour}`} aria-hidden />
            <dt className="text-slate-500">{t.tasks.counts[segment.key]}</dt>
            <dd className="font-semibold tabular-nums" data-testid={`count-${segment.key}`}>
              {number(counts[segment.key])}
            </dd>
          </div>
        ))}
        {progress.delivered > 0 ? (
          <div className="flex items-center gap-1.5">
            <dt className="text-slate-500">{t.tasks.counts.delivered}</dt>
            <dd className="font-semibold tabular-nums" data-testid="count-delivered">
              {number(progress.delivered)}
            </dd>
          </div>
        ) : null}
      </dl>
      {progress.note ? <p className="text-sm text-amber-700" data-testid="task-note">{progress.note}</p> : null}
      {error ? (
        <p className="text-sm text-red-600" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
