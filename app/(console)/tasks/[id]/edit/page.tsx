import { Forbidden } from "@/components/ui/forbidden";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { LinkButton } from "@/components/ui/link-button";
import { consolePage, loadOrDeny } from "@/app/(console)/_page/console-page";
import { format } from "@/lib/i18n";
import { taskDetail } from "@/lib/sending/task-pages";
import { draftFrom, taskFormProps } from "../../form-page";
import { TaskForm } from "../../task-form";

/** Editing is for a console task that has not started: its time, audience, template and sender may all change. */
export default consolePage("tasks.manage", async function EditTaskPage(ctx, { params }: { params: Promise<{ id: string }> }) {
  const { t } = ctx;
  const { id } = await params;
  const detail = await loadOrDeny(taskDetail(ctx, id));
  if (!detail) return <Forbidden message={t.errors.forbidden} />;
  const back = (
    <LinkButton href={`/tasks/${id}`} variant="secondary">
      {t.tasks.back}
    </LinkButton>
  );
  // An smtp task is sent as its client wrote it; any other task only until it starts.
  const refusal = detail.task.kind === "smtp" ? t.tasks.smtpFixed : detail.task.kind === "group" ? t.tasks.groupFixed : detail.task.status !== "scheduled" ? format(t.tasks.notEditable, { status: t.tasks.statuses[detail.task.status] }) : null;
  if (refusal) {
    return (
      <div className="space-y-4">
        <PageHeader title={format(t.tasks.editTitle, { name: detail.task.name })} actions={back} />
        <Card>
          <p className="text-sm text-slate-600" data-testid="task-not-editable">
            {refusal}
          </p>
        </Card>
      </div>
    );
  }
  const props = await taskFormProps(ctx);
  return (
    <div className="space-y-4">
      <PageHeader title={format(t.tasks.editTitle, { name: detail.task.name })} actions={back} />
      <Card>
        <TaskForm draft={draftFrom(detail, ctx.timeZone, { id: detail.task.id })} {...props} />
      </Card>
    </div>
  );
});
