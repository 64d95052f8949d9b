"use server";

import { z } from "zod";
import { changeUserRole as changeRole, createUser as create, resetUserPassword, setUserDisabled } from "@/lib/accounts/users";
import { ROLES } from "@/db/schema";
import { defineAction } from "@/lib/entry/action";
import { checkbox, idList, optionalText, optionalUuid, uuid } from "@/lib/entry/form-schemas";

const placement = {
  role: z.enum(ROLES),
  departmentId: optionalUuid,
  readsAllDepartments: checkbox,
  managedDepartmentIds: idList,
};

export const createUser = defineAction({
  permission: "user.manage",
  input: z.object({
    email: z.string().trim().min(3, "is required").max(254),
    name: optionalText(100),
    password: z.string().min(1, "is required"),
    ...placement,
  }),
  run: (ctx, input) => create(ctx, input),
});

export const changeUserRole = defineAction({
  permission: "user.manage",
  input: z.object({ id: uuid, name: optionalText(100), ...placement }),
  run: (ctx, { id, ...input }) => changeRole(ctx, id, input),
});

export const setUserStatus = defineAction({
  permission: "user.manage",
  input: z.object({ id: uuid, disabled: z.enum(["true", "false"]).transform((value) => value === "true") }),
  run: (ctx, { id, disabled }) => setUserDisabled(ctx, id, disabled),
});

export const resetPassword = defineAction({
  permission: "user.manage",
  input: z.object({ id: uuid, password: z.string().min(1, "is required") }),
  run: (ctx, { id, password }) => resetUserPassword(ctx, id, password),
});
