import "server-only";
import type { PageContext } from "@/app/(console)/_page/console-page";
import type { SegmentBuilderOptions } from "@/lib/audiences/segments/options";
import type { BuilderOptions } from "./segment-builder";

/** The builder's choices: an admin picks the department (and sees each one's pools, tags and tasks); a department user has one. */
export function builderOptions(ctx: PageContext, options: SegmentBuilderOptions, departmentId?: string): BuilderOptions {
  const admin = ctx.actor.role === "admin";
  const only = <T extends { departmentId: string }>(list: T[]) => (departmentId ? list.filter((item) => item.departmentId === departmentId) : list);
  return {
    departments: admin ? options.departments : null,
    pools: only(options.pools),
    tags: only(options.tags),
    tasks: only(options.tasks),
    statuses: options.statuses,
  };
}
