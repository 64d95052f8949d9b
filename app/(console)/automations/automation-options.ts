import "server-only";
import type { PageContext } from "@/app/(console)/_page/console-page";
import { segmentBuilderOptions } from "@/lib/audiences/segments/options";
import { taskFormOptions } from "@/lib/sending/task-pages";
import type { AutomationOptions } from "./automation-draft";

/** The builder's choices: the task form's templates (e-mail only), senders and pools, and the segment builder's tags and campaign tasks. */
export async function automationOptions(ctx: PageContext): Promise<AutomationOptions> {
  const [task, segment] = await Promise.all([taskFormOptions(ctx), segmentBuilderOptions(ctx)]);
  return {
    departments: ctx.actor.role === "admin" ? task.departments : null,
    templates: task.templates.filter((template) => template.channel === "email").map(({ id, departmentId, name }) => ({ id, departmentId, name })),
    senders: task.senders.map(({ id, departmentId, address, domain }) => ({ id, departmentId, address, domain })),
    pools: task.pools.map(({ id, departmentId, name }) => ({ id, departmentId, name })),
    tags: segment.tags,
    tasks: segment.tasks,
  };
}
