import type { ReactNode } from "react";
import Link from "next/link";
import { TaskProgressBar } from "@/components/tasks/task-progress";
import { TaskStatusBadge } from "@/components/tasks/task-status";
import { TaskKindBadge } from "../kind-badge";
import { Forbidden } from "@/components/ui/forbidden";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { consolePage, loadOrDeny } from "@/app/(console)/_page/console-page";
import { firstParam } from "@/app/(console)/_page/search-params";
import { can } from "@/lib/access/policy";
import { format } from "@/lib/i18n";
import { taskDetail } from "@/lib/sending/task-pages";
import { FOLLOW_UP_MAX_DAYS, followUpOffer } from "@/lib/sending/follow-up";
import { abReport } from "@/lib/sending/ab-test-actions";
import { loadTask } from "@/lib/sending/tasks";
import { formatInZone } from "@/lib/time/zone";
import { DeliveryLog } from "./delivery-log";
import { TaskActions } from "./task-actions";
import { FollowUpForm } from "./follow-up-form";
import { AbTestCard } from "./ab-test-card";
import { RepliesCard, repliesQuery } from "./replies-card";
import { GuardReason } from "@/components/notifications/guard-reason";

/** 群发任务状态: one task's live counters, what it sends, its A/B test, its replies, its actions (not for managers, who only read) and its delivery log. */
export default consolePage("tasks.view", async function TaskPage(ctx, {
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { t, actor } = ctx;
  const { id } = await params;
  const query = await searchParams;
  const detail = await loadOrDeny(taskDetail(ctx, id));
  if (!detail) return <Forbidden message={t.errors.forbidden} />;
  const { task } = detail;
  const logParams = { q: firstParam(query.q), status: firstParam(query.status), category: firstParam(query.category), cursor: firstParam(query.cursor) };
  const when = (value: string | null) => (value ? formatInZone(new Date(value), ctx.timeZone) : t.common.none);
  const { submission } = detail;
  // 重发给未打开者: offered to those who may manage tasks, when followUpOffer finds the task can be followed up.
  const followUp = can(actor.role, "tasks.manage") ? await followUpOffer(ctx, task.id) : null;
  // The A/B test's live figures are counted from the stored row.
  const ab = task.abTest ? await abReport(ctx, await loadTask(ctx, task.id, "reports.view")) : null;
  // What it sends: a template to pools, or (an smtp task) the message a client submitted, from where.
  const content: [string, ReactNode, string][] = submission
    ? [
        [t.tasks.smtpAccount, submission.accountName ?? t.tasks.deletedAccount, "smtp-account"],
        [t.tasks.clientIp, submission.clientIp || t.common.none, "client-ip"],
        [t.tasks.envelopeFrom, submission.envelopeFrom || t.common.none, "envelope-from"],
        [t.tasks.messageSize, submission.size === null ? t.common.none : format(t.tasks.sizeKb, { size: (submission.size / 1024).toLocaleString(ctx.locale, { maximumFractionDigits: 1 }) }), "message-size"],
        [t.tasks.columns.sender, task.fromName ? `${task.fromName} <${detail.senderAddress}>` : detail.senderAddress, "sender"],
      ]
    : [
        [t.tasks.columns.template, `${detail.templateName} · v${task.templateVersion}`, "template"],
        ...(task.subject !== null ? ([[t.tasks.followUp.subjectSent, task.subject, "subject"]] as [string, ReactNode, string][]) : []),
        ...(detail.followUpOf
          ? ([
              [
                t.tasks.followUp.of,
                <Link key="original" href={`/tasks/${detail.followUpOf.id}`} className="text-indigo-600 hover:underline">
                  {format(t.tasks.followUp.audience, { name: detail.followUpOf.name })}
                </Link>,
                "follow-up-of",
              ],
            ] as [string, ReactNode, string][])
          : [[t.tasks.columns.pools, task.poolIds === "all" ? t.tasks.allAddresses : detail.pools.map((pool) => pool.name).join(", ") || t.common.none, "pools"] as [string, ReactNode, string]]),
        ...(detail.segments.length > 0
          ? ([
              [
                t.segments.segmentsOfTask,
                detail.segments
                  .map((segment) => `${segment.name ?? t.segments.deleted} (${segment.countAtMaterialisation === null ? t.segments.notStarted : format(t.segments.countAtStart, { count: segment.countAtMaterialisation.toLocaleString(ctx.locale) })})`)
                  .join(", "),
                "segments",
              ],
            ] as [string, ReactNode, string][])
          : []),
        [t.tasks.columns.sender, task.fromName ? `${task.fromName} <${detail.senderAddress}>` : detail.senderAddress, "sender"],
        [t.tasks.limit, task.limit === null ? t.tasks.amountAll : task.limit.toLocaleString(ctx.locale), "limit"],
        ...(task.sendTimeOptimization ? ([[t.tasks.sendTime.title, t.tasks.sendTime.value, "send-time"]] as [string, ReactNode, string][]) : []),
        ...(task.replyTracking
          ? ([[t.tasks.replies.title, task.replyForwardTo ? format(t.tasks.replies.valueForwarded, { address: task.replyForwardTo }) : t.tasks.replies.value, "replies"]] as [string, ReactNode, string][])
          : []),
      ];
  const rows: [string, ReactNode, string][] = [
    ...(actor.role !== "department" ? ([[t.common.department, detail.departmentName, "department"]] as [string, ReactNode, string][]) : []),
    ...content,
    [t.tasks.scheduledAt, when(task.scheduledAt), "scheduled"],
    [t.tasks.startedAt, when(task.startedAt), "started"],
    [t.tasks.finishedAt, when(task.finishedAt), "finished"],
    [t.tasks.createdBy, `${task.createdBy} · ${when(task.createdAt)}`, "created"],
  ];
  return (
    <div className="space-y-5">
      <PageHeader title={task.name} actions={can(actor.role, "tasks.manage") ? <TaskActions task={{ id: task.id, name: task.name, status: task.status, kind: task.kind, guardPaused: task.guardPause !== null && !task.guardOverride, followUp: task.followUpOf !== null }} /> : null}>
        <span data-testid="task-header-status">
          <TaskStatusBadge status={task.status} labels={t.tasks.statuses} />
        </span>
        <TaskKindBadge kind={task.kind} labels={t.tasks} />
        <Link href={`/tasks/${task.id}/report`} className="ml-3 text-indigo-600 hover:underline" data-testid="task-report-link">{t.reports.task.link}</Link>
      </PageHeader>
      {task.guardPause ? <GuardReason pause={task.guardPause} overridden={task.guardOverride} paused={task.status === "paused"} t={t} locale={ctx.locale} /> : null}
      <Card title={t.tasks.statusCard} testId="task-status-card">
        <TaskProgressBar key={task.status} initial={detail.progress} />
      </Card>
      <Card title={t.tasks.details}>
        <dl className="grid gap-x-6 gap-y-2 text-sm sm:grid-cols-2" data-testid="task-details">
          {rows.map(([label, value, key]) => (
            <div key={key} className="flex gap-2">
              <dt className="w-32 shrink-0 text-slate-500">{label}</dt>
              <dd className="min-w-0 break-words text-slate-900" data-testid={`task-detail-${key}`}>
                {value}
              </dd>
            </div>
          ))}
        </dl>
      </Card>
      {ab ? <AbTestCard ctx={ctx} report={ab} task={task} canManage={can(actor.role, "tasks.manage")} /> : null}
      {followUp?.available ? (
        <Card title={t.tasks.followUp.title} testId="follow-up-card">
          <FollowUpForm taskId={task.id} taskName={task.name} nonOpeners={followUp.nonOpeners} subject={followUp.subject} maxDays={FOLLOW_UP_MAX_DAYS} />
        </Card>
      ) : null}
      {task.replyTracking ? (
        <RepliesCard ctx={ctx} taskId={task.id} sent={task.sent} forwardTo={task.replyForwardTo} query={repliesQuery(firstParam(query.replies), firstParam(query.autoReplies), logParams)} />
      ) : null}
      <DeliveryLog ctx={ctx} taskId={task.id} params={logParams} />
    </div>
  );
});
