import "server-only";
import type { PageContext } from "@/app/(console)/_page/console-page";
import { MIN_SENT } from "@/lib/campaigns/ab-winner";
import { AB_LIMITS } from "@/lib/sending/ab-test-check";
import { taskFormOptions, type TaskDetail } from "@/lib/sending/task-pages";
import { zonedLocalTime } from "@/lib/time/zone";
import type { TaskDraft } from "./task-form";

/** What the create and edit pages hand the task form: its choices, the time "At" starts from and the A/B test's limits. */
export async function taskFormProps(ctx: PageContext) {
  const options = await taskFormOptions(ctx);
  // The next full hour (in whole-hour zones; elsewhere a little off, which a default may be).
  const nextHour = new Date(Math.ceil((Date.now() + 60_000) / 3_600_000) * 3_600_000);
  return { options, showDepartment: ctx.actor.role === "admin", timeZone: ctx.timeZone, laterDefault: zonedLocalTime(nextHour, ctx.timeZone), abLimits: { ...AB_LIMITS, minSent: MIN_SENT } };
}

/** A draft from an existing console task (never an smtp task, which has no template or pools): the same choices, A/B test, send-time and reply choices, its time only if it is still ahead. */
export function draftFrom(detail: TaskDetail, timeZone: string, overrides: Partial<TaskDraft>): TaskDraft {
  const { task } = detail;
  const at = new Date(task.scheduledAt);
  const { abTest } = task;
  return {
    id: null,
    departmentId: task.departmentId,
    name: task.name,
    templateId: task.templateId ?? "",
    poolIds: task.poolIds === "all" ? "all" : detail.pools.map((pool) => pool.id),
    segmentIds: detail.segments.filter((segment) => segment.name !== null).map((segment) => segment.id),
    channel: task.channel === "sms" || task.channel === "whatsapp" ? task.channel : "email",
    senderId: task.senderId ?? "",
    fromName: task.fromName,
    limit: task.limit,
    scheduledAt: at.getTime() > Date.now() + 60_000 ? zonedLocalTime(at, timeZone) : null,
    // The test as set, without where a sent task's test stood.
    abTest: abTest ? { variants: abTest.variants, sharePercent: abTest.sharePercent, metric: abTest.metric, waitHours: abTest.waitHours, winnerBy: abTest.winnerBy } : null,
    sendTimeOptimization: task.sendTimeOptimization,
    replyTracking: task.replyTracking,
    replyForwardTo: task.replyForwardTo ?? "",
    ...overrides,
  };
}
