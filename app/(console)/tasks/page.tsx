import Link from "next/link";
import { TaskProgressBar } from "@/components/tasks/task-progress";
import { TaskStatusBadge } from "@/components/tasks/task-status";
import { TaskKindBadge } from "./kind-badge";
import { Badge } from "@/components/ui/badge";
import { LinkButton } from "@/components/ui/link-button";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { DataTable } from "@/components/ui/data-table";
import { Td, TimeCell } from "@/components/ui/table";
import { TASK_STATUSES, type TaskStatus } from "@/db/schema";
import { consolePage } from "@/app/(console)/_page/console-page";
import { firstParam, pageNumber } from "@/app/(console)/_page/search-params";
import { can } from "@/lib/access/policy";
import { format } from "@/lib/i18n";
import { taskProgress } from "@/lib/sending/task-pages";
import { listTasks } from "@/lib/sending/task-pages";

/** 群发任务管理: every task of the caller's departments, newest first, with live progress; read-only for managers. */
export default consolePage("tasks.view", async function TasksPage(ctx, { searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { t, actor } = ctx;
  const params = await searchParams;
  const requested = firstParam(params.status);
  const status = TASK_STATUSES.find((value) => value === requested);
  const page = pageNumber(params.page);
  const result = await listTasks(ctx, { status, page });
  const showDepartment = actor.role !== "department";
  const canManage = can(actor.role, "tasks.manage");
  const tab = (value: TaskStatus | undefined) =>
    `rounded-md px-2.5 py-1 ${value === status ? "bg-slate-800 text-white" : "text-slate-600 ring-1 ring-slate-300 hover:bg-slate-50"}`;
  return (
    <div className="space-y-4">
      <PageHeader title={t.tasks.title} actions={canManage ? <LinkButton href="/tasks/new" testId="new-task">{t.tasks.new}</LinkButton> : null}>
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
      <DataTable
        testId="tasks-table"
        columns={[
          showDepartment && t.common.department,
          t.tasks.name,
          t.tasks.templateOrAccount,
          t.reports.channels.channel,
          t.tasks.columns.sender,
          { label: t.tasks.status, className: "whitespace-nowrap" },
          t.tasks.progress,
          t.tasks.scheduledAt,
          t.tasks.createdBy,
        ]}
        rows={result.tasks}
        empty={t.common.noRows}
      >
        {(task) => (
          <tr key={task.id} data-testid={`task-row-${task.name}`}>
            {showDepartment ? <Td>{task.departmentName}</Td> : null}
            <Td>
              <Link className="font-medium text-indigo-600 hover:underline" href={`/tasks/${task.id}`} data-testid={`task-link-${task.name}`}>
                {task.name}
              </Link>
              <TaskKindBadge kind={task.kind} labels={t.tasks} />
              {task.followUpOf ? (
                <span className="ml-1.5" data-testid="task-kind-follow-up">
                  <Badge tone="indigo">{t.tasks.followUp.badge}</Badge>
                </span>
              ) : null}
              {task.abTest ? (
                <span className="ml-1.5" data-testid="task-kind-ab-test">
                  <Badge tone="indigo">{t.tasks.abTest.badge}</Badge>
                </span>
              ) : null}
            </Td>
            <Td className="max-w-48 truncate">
              {task.kind === "smtp" ? <span data-testid="task-smtp-account">{task.smtpUsername ?? <span className="text-slate-500">{t.tasks.deletedAccount}</span>}</span> : task.kind === "group" ? task.senderAddress : task.templateName}
            </Td>
            <Td data-testid="task-channel">{t.channels.names[task.channel]}</Td>
            <Td className="max-w-56 truncate">{task.fromName ? `${task.fromName} <${task.senderAddress}>` : task.senderAddress}</Td>
            <Td>
              <TaskStatusBadge status={task.status} labels={t.tasks.statuses} />
            </Td>
            <Td>
              <TaskProgressBar key={task.status} compact initial={taskProgress(task)} />
            </Td>
            <TimeCell at={task.scheduledAt} timeZone={ctx.timeZone} />
            <Td className="max-w-48 truncate">{task.createdBy}</Td>
          </tr>
        )}
      </DataTable>
      <Pagination page={page} hasMore={page * result.pageSize < result.total} params={{ status }} labels={t.common} />
    </div>
  );
});
