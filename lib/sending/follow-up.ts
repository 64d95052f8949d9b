import "server-only";
import type { Task } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { recordAudit } from "@/lib/audit/record";
import { notifyEngine } from "@/lib/dispatch/task-changes";
import { conflict, invalidInput, type AppError } from "@/lib/errors";
import { loadSender } from "@/lib/senders/senders";
import { assertTemplateUsable, loadTemplate } from "@/lib/templates/store";
import { checkedSubject } from "./task-subject";
import { FOLLOW_UP_MAX_DAYS, followUpAudience } from "./non-openers";
import { countAudience } from "./recipients";
import { insertScheduledTask, loadTask } from "./tasks";
import { taskView, type TaskView } from "./task-view";

/*
 * Resend to non-openers (issue 18): from a completed e-mail task, one action makes a follow-up task
 * of the same template version and sender, perhaps with a new subject, to those the task sent to who
 * have not opened it (people's opens: a click counts as an open, a machine's open does not). Who
 * that is gets decided when the follow-up starts, N days after the original finished, so someone
 * who opens meanwhile is left out. Quota is reserved for today's non-openers, as for any task, and
 * what is not needed is given back at the start.
 */

export { FOLLOW_UP_MAX_DAYS } from "./non-openers";
const DAY_MS = 86_400_000;

export type FollowUpInput = { subject?: string | null; afterDays: number; name?: string | null };

/** Why `task` cannot be followed up, or null when it can. */
function refusal(task: Task): AppError | null {
  if (task.kind !== "campaign" || task.channel !== "email") return invalidInput("followUpEmailCampaignsOnly", { field: "id" });
  if (task.status !== "completed") return conflict("followUpNotCompleted", { params: { status: task.status } });
  // Without the open pixel nobody is known to have opened: a "follow-up" would resend to everyone.
  if (!task.tracking) return invalidInput("followUpNeedsTracking", { field: "id" });
  return null;
}

/** What the console offers on a task's page: whether it can be followed up and how many have not opened it by now. */
export async function followUpOffer(ctx: Ctx, taskId: string): Promise<{ available: true; nonOpeners: number; subject: string } | { available: false }> {
  const task = await loadTask(ctx, taskId, "tasks.manage");
  if (refusal(task)) return { available: false };
  const { sendable } = await countAudience(ctx.db, followUpAudience(task.departmentId, task.id));
  return { available: true, nonOpeners: sendable, subject: task.subject ?? (await loadTemplate(ctx, task.templateId!, task.templateVersion)).content.subject };
}

/**
 * Makes the follow-up of a completed e-mail task: the same template version, sender, display name
 * and tracking, to its non-openers when it starts, `afterDays` after the original finished (at once
 * when that is past). A subject that differs from the version's is checked as a template's is.
 */
export async function createFollowUp(ctx: Ctx, taskId: string, input: FollowUpInput): Promise<TaskView> {
  const original = await loadTask(ctx, taskId, "tasks.manage");
  const refused = refusal(original);
  if (refused) throw refused;
  const { afterDays } = input;
  if (!Number.isInteger(afterDays) || afterDays < 0 || afterDays > FOLLOW_UP_MAX_DAYS) {
    throw invalidInput("followUpDaysOutOfRange", { field: "afterDays", params: { max: FOLLOW_UP_MAX_DAYS } });
  }
  // The version the original froze, not the template's current one.
  const { content: version } = await assertTemplateUsable(ctx, original.templateId!, original.templateVersion);
  const subject = followUpSubject(input.subject, original.subject ?? version.subject, version);
  await loadSender(ctx, original.senderId!);
  const name = (input.name ?? "").trim() || `${original.name} · follow-up`.slice(0, 200);
  if (name.length > 200) throw invalidInput("taskNameTooLong", { field: "name" });

  const finished = original.finishedAt ?? new Date();
  const scheduledAt = new Date(Math.max(Date.now(), finished.getTime() + afterDays * DAY_MS));
  const { sendable: reserve } = await countAudience(ctx.db, followUpAudience(original.departmentId, original.id));
  const task = await ctx.db.transaction(async (tx) => {
    const row = await insertScheduledTask(
      ctx,
      tx,
      {
        departmentId: original.departmentId,
        name,
        kind: "campaign",
        channel: "email",
        templateId: original.templateId,
        templateVersion: original.templateVersion,
        poolIds: [],
        segmentIds: [],
        followUpOf: original.id,
        subject: subject === version.subject ? null : subject,
        senderId: original.senderId,
        fromName: original.fromName,
        tracking: original.tracking,
      },
      scheduledAt,
      reserve,
    );
    await recordAudit(tx, ctx.actor, {
      action: "task.follow_up",
      objectType: "task",
      objectId: row.id,
      departmentId: original.departmentId,
      summary: { key: "task.followUp", params: { name, original: original.name, recipients: reserve, at: scheduledAt.toISOString() } },
    });
    return row;
  });
  await notifyEngine("scheduled", { id: task.id, scheduledAt: task.scheduledAt });
  return taskView(task);
}

/** The follow-up's subject: the one given (checked as a template's subject is), else the original's. */
function followUpSubject(given: string | null | undefined, current: string, version: { html: string; text: string | null }): string {
  return checkedSubject(given, version, { field: "subject", reason: "followUpSubjectInvalid" }) ?? current;
}
