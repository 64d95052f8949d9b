import Link from "next/link";
import { TaskProgressBar } from "@/components/tasks/task-progress";
import { TaskStatusBadge } from "@/components/tasks/task-status";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { EmptyRow, Table, Td, Th } from "@/components/ui/table";
import { TASK_STATUSES, type TaskStatus } from "@/db/schema";
import { consolePage } from "@/app/(console)/_page/console-page";
import { firstParam, pageNumber } from "@/app/(console)/_page/search-params";
import { format } from "@/lib/i18n";
import { taskProgress } from "@/lib/sending/task-pages";
import { listTasks } from "@/lib/sending/tasks";
import { formatInZone } from "@/lib/time/zone";

/** 群发任务管理: every task of the caller's departments, newest first, with live progress. */
export default consolePage("tasks.manage", async function TasksPage(ctx, { searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { t, actor } = ctx;
  const params = await searchParams;
  const requested = firstParam(params.status);
  const status = TASK_STATUSES.find((value) => value === requested);
  const page = pageNumber(params.page);
  const result = await listTasks(ctx, { status, page });
  const showDepartment = actor.role === "admin";
  const tab = (value: TaskStatus | undefined) =>
    `rounded-md px-2.5 py-1 ${value === status ? "bg-slate-800 text-white" : "text-slate-600 ring-1 ring-slate-300 hover:bg-slate-50"}`;
  return (
    <div className="space-y-4">
      <PageHeader
        title={t.tasks.title}
        actions={
          <Link href="/tasks/new" className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500" data-testid="new-task">
            {t.tasks.new}
          </Link>
        }
      >
        {format(t.common.showing, { count: result.tasks.length, total: result.total })}
      </PageHeader>
      <nav className="flex flex-wrap gap-1.5 text-sm" aria-label={t.tasks.status} data-testid="task-status-filter">
        <Link className={tab(undefined)} href="/tasks">
          {t.tasks.allStatuses}
        </Link>
        {TASK_STATUSES.map((value) => (
          <Link key={value} className={tab(value)} href={`/tasks?status=${value}`} data-testid={`task-filter-${value}`}>
            {t.tasks.statuses[value]}
          </Link>
        ))}
      </nav>
      <Table testId="tasks-table">
        <thead>
          <tr>
            {showDepartment ? <Th>{t.common.department}</Th> : null}
            <Th>{t.tasks.name}</Th>
            <Th>{t.tasks.columns.template}</Th>
            <Th>{t.tasks.columns.sender}</Th>
            <Th className="whitespace-nowrap">{t.tasks.status}</Th>
            <Th>{t.tasks.progress}</Th>
            <Th>{t.tasks.scheduledAt}</Th>
            <Th>{t.tasks.createdBy}</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {result.tasks.length === 0 ? <EmptyRow colSpan={showDepartment ? 8 : 7}>{t.common.noRows}</EmptyRow> : null}
          {result.tasks.map((task) => (
            <tr key={task.id} data-testid={`task-row-${task.name}`}>
              {showDepartment ? <Td>{task.departmentName}</Td> : null}
              <Td>
                <Link className="font-medium text-indigo-600 hover:underline" href={`/tasks/${task.id}`} data-testid={`task-link-${task.name}`}>
                  {task.name}
                </Link>
              </Td>
              <Td className="max-w-48 truncate">{task.templateName}</Td>
              <Td className="max-w-56 truncate">{task.fromName ? `${task.fromName} <${task.senderAddress}>` : task.senderAddress}</Td>
              <Td>
                <TaskStatusBadge status={task.status} labels={t.tasks.statuses} />
              </Td>
              <Td>
                <TaskProgressBar key={task.status} compact initial={taskProgress(task)} />
              </Td>
              <Td className="tabular-nums">{formatInZone(new Date(task.scheduledAt), ctx.timeZone)}</Td>
              <Td className="max-w-48 truncate">{task.createdBy}</Td>
            </tr>
          ))}
        </tbody>
      </Table>
      <Pagination
        page={page}
        hasMore={page * result.pageSize < result.total}
        params={{ status }}
        labels={{ previous: t.common.previous, next: t.common.next, page: format(t.common.page, { page }) }}
      />
    </div>
  );
});
