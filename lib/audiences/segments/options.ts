import "server-only";
import { and, asc, desc, eq } from "drizzle-orm";
import { CONTACT_STATUSES, departments, pools, tags, tasks } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { authorize, departmentScope } from "@/lib/access/policy";

/** What the segment builder offers: the departments, pools, tags and recent campaign tasks the caller may see. */
export async function segmentBuilderOptions(ctx: Ctx) {
  authorize(ctx.actor, "segments.manage");
  const [departmentRows, poolRows, tagRows, taskRows] = await Promise.all([
    ctx.db.select({ id: departments.id, name: departments.name }).from(departments).where(departmentScope(ctx.actor, departments.id)).orderBy(asc(departments.name)).limit(1000),
    ctx.db.select({ id: pools.id, departmentId: pools.departmentId, name: pools.name }).from(pools).where(departmentScope(ctx.actor, pools.departmentId)).orderBy(asc(pools.name)).limit(1000),
    ctx.db.select({ id: tags.id, departmentId: tags.departmentId, name: tags.name }).from(tags).where(departmentScope(ctx.actor, tags.departmentId)).orderBy(asc(tags.name)).limit(1000),
    ctx.db
      .select({ id: tasks.id, departmentId: tasks.departmentId, name: tasks.name })
      .from(tasks)
      .where(and(departmentScope(ctx.actor, tasks.departmentId), eq(tasks.kind, "campaign")))
      .orderBy(desc(tasks.createdAt))
      .limit(300),
  ]);
  return { departments: departmentRows, pools: poolRows, tags: tagRows, tasks: taskRows, statuses: [...CONTACT_STATUSES] };
}
export type SegmentBuilderOptions = Awaited<ReturnType<typeof segmentBuilderOptions>>;
