"use server";

import { z } from "zod";
import { defineAction } from "@/lib/entry/action";
import { requiredText, uuid } from "@/lib/entry/form-schemas";
import { deleteTag as remove, renameTag as rename } from "@/lib/audiences/tags";

export const renameTag = defineAction({
  permission: "pools.manage",
  input: z.object({ id: uuid, name: requiredText(200) }),
  run: (ctx, { id, name }) => rename(ctx, id, { name }),
});

export const deleteTag = defineAction({
  permission: "pools.manage",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => remove(ctx, id),
});
