"use server";

import { z } from "zod";
import { createDepartment as create, updateDepartment as update } from "@/lib/accounts/departments";
import { defineAction } from "@/lib/entry/action";
import { checkbox, optionalQuota, optionalText, requiredText, uuid } from "@/lib/entry/form-schemas";

const departmentFields = { name: requiredText(100), description: optionalText(500), quotaAllocated: optionalQuota };

export const createDepartment = defineAction({
  permission: "department.create",
  input: z.object(departmentFields),
  run: (ctx, input) => create(ctx, input),
});

export const updateDepartment = defineAction({
  permission: "department.update",
  input: z.object({ id: uuid, ...departmentFields, disabled: checkbox }),
  run: (ctx, { id, ...input }) => update(ctx, id, input),
});
