import Link from "next/link";
import { Forbidden } from "@/components/ui/forbidden";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { LinkButton } from "@/components/ui/link-button";
import { consolePage, loadOrDeny } from "@/app/(console)/_page/console-page";
import { firstParam } from "@/app/(console)/_page/search-params";
import { format } from "@/lib/i18n";
import { taskDetail } from "@/lib/sending/task-pages";
import { draftFrom, taskFormProps } from "../form-page";
import { TaskForm, type TaskDraft } from "../task-form";

const EMPTY: TaskDraft = { id: null, departmentId: null, name: "", templateId: "", channel: "email", poolIds: [], segmentIds: [], senderId: "", fromName: "", limit: null, scheduledAt: null, abTest: null, sendTimeOptimization: false, replyTracking: false, replyForwardTo: "" };

/** 添加群发任务; `?from=<task id>` opens it filled in from that task (Duplicate), unless it is an smtp task. */
export default consolePage("tasks.manage", async function NewTaskPage(ctx, { searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { t } = ctx;
  const from = firstParam((await searchParams).from);
  const source = from ? await loadOrDeny(taskDetail(ctx, from)) : null;
  if (from && !source) return <Forbidden message={t.errors.forbidden} />;
  const props = await taskFormProps(ctx);
  // An smtp task has no template or pools to copy: the form starts empty and says why.
  const copied = source && source.task.kind !== "smtp" && source.task.kind !== "group" ? source : null;
  const draft = copied ? draftFrom(copied, ctx.timeZone, { name: format(t.tasks.copyName, { name: copied.task.name }) }) : EMPTY;
  const ready = props.options.templates.length > 0 && props.options.senders.length > 0;
  const missing = [
    { when: props.options.templates.length === 0, href: "/templates/new", label: t.nav.templates, testId: "needs-template" },
    { when: props.options.senders.length === 0, href: "/senders", label: t.nav.senders, testId: "needs-sender" },
    { when: !props.options.pools.some((pool) => pool.contactCount > 0), href: "/pools", label: t.nav.pools, testId: "needs-pool" },
  ].filter((item) => item.when);
  return (
    <div className="space-y-4">
      <PageHeader
        title={copied ? format(t.tasks.duplicateOf, { name: copied.task.name }) : t.tasks.new}
        actions={
          <LinkButton href="/tasks" variant="secondary">
            {t.tasks.back}
          </LinkButton>
        }
      />
      {source && !copied ? (
        <p className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800" data-testid="task-not-copyable">
          {t.tasks.smtpFixed}
        </p>
      ) : null}
      {ready ? null : (
        <p className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800" data-testid="task-needs-setup">
          {t.tasks.needsSetup}{" "}
          {missing.map((item) => (
            <Link key={item.href} href={item.href} className="mr-2 font-medium text-indigo-700 underline" data-testid={item.testId}>
              {item.label} →
            </Link>
          ))}
        </p>
      )}
      <Card>
        <TaskForm draft={draft} {...props} />
      </Card>
    </div>
  );
});
