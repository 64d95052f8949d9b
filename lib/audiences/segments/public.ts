import "server-only";
import type { Ctx } from "@/lib/access/context";
import { resolveTargetDepartment } from "@/lib/access/policy";
import { countMatching, previewRule } from "./evaluate";
import type { Rule } from "./rule";
import type { SegmentView } from "./store";

/** A segment as the API answers it, with the contacts its rule holds now (counted unless given). */
export async function publicSegment(ctx: Ctx, segment: SegmentView, count?: number) {
  return {
    id: segment.id,
    departmentId: segment.departmentId,
    name: segment.name,
    description: segment.description,
    rule: segment.rule,
    count: count ?? (await countMatching(ctx.db, segment.departmentId, segment.rule)),
    createdAt: segment.createdAt.toISOString(),
    updatedAt: segment.updatedAt.toISOString(),
  };
}

/** `POST /api/v1/segments/count`: an unsaved rule's count and first contacts in the caller's department (a company key names one). */
export async function countRule(ctx: Ctx, input: { rule: Rule; sample?: number; departmentId?: string | null }) {
  const departmentId = resolveTargetDepartment(ctx.actor, input.departmentId);
  const { count, sample } = await previewRule(ctx, departmentId, input.rule, { sample: input.sample });
  return { count, sample: sample.map((contact) => ({ email: contact.email, name: contact.name, status: contact.status, attributes: contact.attributes })) };
}
