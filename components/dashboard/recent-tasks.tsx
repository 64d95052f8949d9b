import Link from "next/link";
import { TaskStatusBadge } from "@/components/tasks/task-status";
import type { TaskStatus } from "@/db/schema";
import { formatInZone } from "@/lib/time/zone";

export type RecentTask = { id: string; name: string; status: TaskStatus; sent: number; total: number; createdAt: string; departmentName: string };

/** The newest tasks, each linked to its page, with its status, how far it got and when it was made. */
export function RecentTasks({
  tasks,
  showDepartment,
  locale,
  timeZone,
  labels,
}: {
  tasks: RecentTask[];
  showDepartment: boolean;
  locale: string;
  timeZone: string;
  labels: { statuses: Record<TaskStatus, string>; empty: string };
}) {
  if (tasks.length === 0) return <p className="text-sm text-slate-600">{labels.empty}</p>;
  return (
    <ul className="divide-y divide-slate-100" data-testid="recent-tasks">
      {tasks.map((task) => (
        <li key={task.id} className="flex flex-wrap items-center justify-between gap-x-3 gap-y-1 py-2 text-sm" data-testid="recent-task">
          <span className="flex min-w-0 items-center gap-2">
            <Link href={`/tasks/${task.id}`} className="truncate font-medium text-indigo-700 hover:underline" data-testid="recent-task-link">
              {task.name}
            </Link>
            <TaskStatusBadge status={task.status} labels={labels.statuses} />
          </span>
          <span className="flex flex-wrap gap-x-3 text-xs tabular-nums text-slate-600">
            {showDepartment ? <span>{task.departmentName}</span> : null}
            <span>
              {task.sent.toLocaleString(locale)} / {task.total.toLocaleString(locale)}
            </span>
            <span>{formatInZone(new Date(task.createdAt), timeZone)}</span>
          </span>
        </li>
      ))}
    </ul>
  );
}
