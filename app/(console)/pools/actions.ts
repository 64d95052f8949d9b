"use server";

import { z } from "zod";
import { defineAction } from "@/lib/entry/action";
import { checkbox, optionalText, optionalUuid, requiredText, uuid } from "@/lib/entry/form-schemas";
import { startImport as start } from "@/lib/pools/import-jobs";
import { clearPool as clear, clearUncategorised as clearOrphans, createPool as create, deletePool as remove, transferContacts as transfer, updatePool as update } from "@/lib/pools/pools";

export const createPool = defineAction({
  permission: "pools.manage",
  input: z.object({ name: requiredText(100), description: optionalText(500), departmentId: optionalUuid }),
  run: (ctx, input) => create(ctx, input),
});

export const updatePool = defineAction({
  permission: "pools.manage",
  input: z.object({ id: uuid, name: requiredText(100), description: optionalText(500) }),
  run: (ctx, { id, ...input }) => update(ctx, id, input),
});

export const deletePool = defineAction({
  permission: "pools.manage",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => remove(ctx, id),
});

export const clearPool = defineAction({
  permission: "pools.manage",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => clear(ctx, id),
});

export const clearUncategorised = defineAction({
  permission: "pools.manage",
  input: z.object({ departmentId: uuid }),
  run: (ctx, { departmentId }) => clearOrphans(ctx, departmentId),
});

export const transferContacts = defineAction({
  permission: "pools.manage",
  input: z.object({ fromPoolId: uuid, toPoolId: uuid, mode: z.enum(["copy", "move"]) }),
  run: (ctx, { fromPoolId, toPoolId, mode }) => transfer(ctx, { fromPoolId, toPoolId, move: mode === "move" }),
});

const columnIndex = z.coerce.number().int().min(0).max(1000);

export const startImport = defineAction({
  permission: "pools.manage",
  input: z.object({
    id: uuid,
    emailColumn: columnIndex,
    nameColumn: z.preprocess((value) => (value === "" || value === undefined ? null : value), columnIndex.nullable()),
    attributeColumns: z.string().transform((value, context) => {
      try {
        return z.array(z.object({ index: columnIndex, key: z.string().trim().min(1).max(100) })).max(200).parse(JSON.parse(value || "[]"));
      } catch {
        context.addIssue({ code: "custom", message: "is not a list of columns" });
        return z.NEVER;
      }
    }),
    hasHeader: checkbox,
    updateExisting: checkbox,
  }),
  run: (ctx, input) =>
    start(ctx, input.id, {
      mapping: { emailColumn: input.emailColumn, nameColumn: input.nameColumn, attributeColumns: input.attributeColumns },
      hasHeader: input.hasHeader,
      updateExisting: input.updateExisting,
    }),
});
