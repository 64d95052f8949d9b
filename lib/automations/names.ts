import "server-only";
import { and, inArray, type Column } from "drizzle-orm";
import { departments, pools, senders, tags, tasks, templates, type AutomationStep, type AutomationTrigger } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { authorize, departmentScope } from "@/lib/access/policy";
import { isUuid } from "@/lib/ids";

/*
 * The names behind an automation's ids (its pool, tag or task, its templates, its sender), for the
 * console's list and report. Readable with tasks.view, as the automations are: a manager reads the
 * report but may not list pools, tags or templates, whose own listings need their manage permission.
 */

type Referring = { departmentId: string; trigger: AutomationTrigger; steps: AutomationStep[]; senderId: string };

export type AutomationNames = {
  departments: Map<string, string>;
  pools: Map<string, string>;
  tags: Map<string, string>;
  tasks: Map<string, string>;
  templates: Map<string, string>;
  senders: Map<string, { address: string; name: string }>;
};

/** What `read` finds of these ids (each once, only well-formed ones); none asked, nothing read. */
async function named<Row>(ids: Iterable<string>, read: (wanted: string[]) => Promise<Row[]>): Promise<Row[]> {
  const wanted = [...new Set(ids)].filter(isUuid);
  return wanted.length === 0 ? [] : read(wanted);
}

export async function automationNames(ctx: Ctx, automations: Referring[]): Promise<AutomationNames> {
  authorize(ctx.actor, "tasks.view");
  const { db } = ctx;
  const scoped = (id: Column, department: Column, wanted: string[]) => and(inArray(id, wanted), departmentScope(ctx.actor, department));
  const poolIds = automations.flatMap(({ trigger }) => (trigger.type === "subscribed" ? [trigger.poolId] : []));
  const tagIds = automations.flatMap(({ trigger }) => (trigger.type === "tag_added" ? [trigger.tagId] : []));
  const taskIds = automations.flatMap(({ trigger }) => (trigger.type === "clicked" ? [trigger.taskId] : []));
  const templateIds = automations.flatMap((automation) => automation.steps.flatMap((step) => (step.type === "send" ? [step.templateId] : [])));
  const [departmentRows, poolRows, tagRows, taskRows, templateRows, senderRows] = await Promise.all([
    named(automations.map((automation) => automation.departmentId), (wanted) =>
      db.select({ id: departments.id, name: departments.name }).from(departments).where(scoped(departments.id, departments.id, wanted)),
    ),
    named(poolIds, (wanted) =>
      db.select({ id: pools.id, name: pools.name }).from(pools).where(scoped(pools.id, pools.departmentId, wanted)),
    ),
    named(tagIds, (wanted) =>
      db.select({ id: tags.id, name: tags.name }).from(tags).where(scoped(tags.id, tags.departmentId, wanted)),
    ),
    named(taskIds, (wanted) =>
      db.select({ id: tasks.id, name: tasks.name }).from(tasks).where(scoped(tasks.id, tasks.departmentId, wanted)),
    ),
    named(templateIds, (wanted) => db.select({ id: templates.id, name: templates.name }).from(templates).where(scoped(templates.id, templates.departmentId, wanted))),
    named(automations.map((automation) => automation.senderId), (wanted) =>
      db.select({ id: senders.id, address: senders.address, name: senders.name }).from(senders).where(scoped(senders.id, senders.departmentId, wanted)),
    ),
  ]);
  const byId = (rows: { id: string; name: string }[]) => new Map(rows.map((row) => [row.id, row.name]));
  return {
    departments: byId(departmentRows),
    pools: byId(poolRows),
    tags: byId(tagRows),
    tasks: byId(taskRows),
    templates: byId(templateRows),
    senders: new Map(senderRows.map((row) => [row.id, { address: row.address, name: row.name }])),
  };
}
