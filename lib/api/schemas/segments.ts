import "server-only";
import { z } from "zod";
import { CONTACT_STATUSES } from "@/db/schema";
import { ruleSchema } from "@/lib/audiences/segments/rule";
import { departmentIdField } from "./common";

/** `/api/v1/segments` (README): saved rules over a department's contacts, and the count of an unsaved one. */

export const segmentRule = ruleSchema.meta({
  id: "SegmentRule",
  description:
    'All or any of its conditions; a condition is a leaf or a group { match, conditions } of leaves. Leaves: { field: "pool", op: "in"|"not_in", value: poolId }, { field: "tag", op: "has"|"has_not", value: tagId }, { field: "status", op: "is"|"is_not", value }, { field: "email"|"name", op: "equals"|"not_equals"|"contains", value }, { field: "attribute", key, op, value? } and { field: "engagement", op: "did"|"did_not", event: "opened"|"clicked"|"sent"|"bounced", taskId?, days?, url? }',
});

export const createSegmentBody = z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().trim().max(1000).optional(),
  rule: segmentRule,
  departmentId: departmentIdField,
});

export const updateSegmentBody = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  description: z.string().trim().max(1000).optional(),
  rule: segmentRule.optional(),
});

export const segment = z
  .object({
    id: z.string(),
    departmentId: z.string(),
    name: z.string(),
    description: z.string(),
    rule: segmentRule,
    count: z.number().int().meta({ description: "Contacts the rule holds now" }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Segment" });

export const segmentList = z.array(segment);

export const countSegmentBody = z.object({
  rule: segmentRule,
  sample: z.number().int().min(0).max(50).optional().meta({ description: "How many contacts to return (first by arrival); default 10" }),
  departmentId: departmentIdField,
});

export const segmentCount = z.object({
  count: z.number().int(),
  sample: z.array(
    z.object({ email: z.string(), name: z.string(), status: z.enum(CONTACT_STATUSES), attributes: z.record(z.string(), z.string()) }),
  ),
});

export const deletedSegment = z.object({ id: z.string(), deleted: z.literal(true) });
