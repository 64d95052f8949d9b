import { z } from "zod";
import { defineRoute, json, readJson } from "@/lib/entry/route";
import { createTask } from "@/lib/sending/tasks";

const body = z.object({
  name: z.string().max(200),
  templateId: z.string().max(100),
  poolIds: z.union([z.literal("all"), z.array(z.string().max(100)).min(1).max(100)]),
  senderId: z.string().max(100),
  fromName: z.string().max(200).optional(),
  limit: z.number().int().positive().nullable().optional(),
  scheduledAt: z.iso.datetime({ offset: true }).nullable().optional(),
  tracking: z.boolean().optional(),
  departmentId: z.string().uuid().optional(),
});

export const POST = defineRoute({
  permission: "tasks.manage",
  handle: async (ctx, request) => {
    const input = await readJson(request, body);
    const task = await createTask(ctx, { ...input, scheduledAt: input.scheduledAt ? new Date(input.scheduledAt) : null });
    return json(task, 201);
  },
});
