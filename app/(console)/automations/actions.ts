"use server";

import { z } from "zod";
import { createAutomationBody } from "@/lib/api/schemas/automations";
import { createAutomation as create, deleteAutomation as remove, setAutomationStatus } from "@/lib/automations/store";
import { defineAction } from "@/lib/entry/action";
import { uuid } from "@/lib/entry/form-schemas";

/** The builder's automation, the welcome series included (its steps filled in): the API's shape, checked and worded by the store. */
export const createAutomation = defineAction({
  permission: "tasks.manage",
  input: createAutomationBody,
  run: async (ctx, input) => ({ id: (await create(ctx, input)).id }),
});

/** Enrolled contacts wait at their steps; new ones are still enrolled. */
export const pauseAutomation = defineAction({
  permission: "tasks.manage",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => setAutomationStatus(ctx, id, "paused"),
});

export const resumeAutomation = defineAction({
  permission: "tasks.manage",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => setAutomationStatus(ctx, id, "active"),
});

/** Its enrolled contacts leave the series; what it sent stays. */
export const deleteAutomation = defineAction({
  permission: "tasks.manage",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => remove(ctx, id),
});
