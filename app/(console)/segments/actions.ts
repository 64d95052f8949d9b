"use server";

import { z } from "zod";
import { defineAction } from "@/lib/entry/action";
import { optionalText, optionalUuid, requiredText, uuid } from "@/lib/entry/form-schemas";
import { resolveTargetDepartment } from "@/lib/access/policy";
import { previewRule } from "@/lib/audiences/segments/evaluate";
import { ruleSchema } from "@/lib/audiences/segments/rule";
import { createSegment as create, deleteSegment as remove, updateSegment as update } from "@/lib/audiences/segments/store";

/** The builder's live count and sample of the rule as it stands (changes nothing). */
export const previewSegment = defineAction({
  permission: "segments.manage",
  input: z.object({ departmentId: optionalUuid, rule: ruleSchema }),
  run: (ctx, { departmentId, rule }) => previewRule(ctx, resolveTargetDepartment(ctx.actor, departmentId), rule),
});

export const createSegment = defineAction({
  permission: "segments.manage",
  input: z.object({ departmentId: optionalUuid, name: requiredText(200), description: optionalText(1000), rule: ruleSchema }),
  run: async (ctx, input) => ({ id: (await create(ctx, input)).id }),
});

export const updateSegment = defineAction({
  permission: "segments.manage",
  input: z.object({ id: uuid, name: requiredText(200), description: optionalText(1000), rule: ruleSchema }),
  run: async (ctx, { id, ...input }) => ({ id: (await update(ctx, id, input)).id }),
});

export const deleteSegment = defineAction({
  permission: "segments.manage",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => remove(ctx, id),
});
