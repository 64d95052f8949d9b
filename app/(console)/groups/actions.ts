"use server";

import { z } from "zod";
import { GROUP_POSTING, GROUP_REPLY_TO, GROUP_STRANGERS } from "@/db/schema";
import { defineAction } from "@/lib/entry/action";
import { checkbox, optionalText, uuid } from "@/lib/entry/form-schemas";
import { createGroup as create, deleteGroup as remove, updateGroup as update } from "@/lib/groups/groups";
import { allowPoster as allow, approvePost as approve, rejectPost as reject } from "@/lib/groups/moderation";

/** The settings form: moderators one a line, checked (and named by line) by lib/groups. */
const settings = {
  address: z.string().trim().min(1, "is required").max(320),
  name: optionalText(200),
  posting: z.enum(GROUP_POSTING),
  strangers: z.enum(GROUP_STRANGERS),
  replyTo: z.enum(GROUP_REPLY_TO),
  moderators: z.string().max(20_000).optional().default(""),
};

export const createGroup = defineAction({
  permission: "pools.manage",
  input: z.object({ poolId: uuid, ...settings }),
  run: async (ctx, input) => ({ id: (await create(ctx, input)).id }),
});

export const updateGroup = defineAction({
  permission: "pools.manage",
  input: z.object({ id: uuid, ...settings, enabled: checkbox }),
  run: async (ctx, { id, ...input }) => ({ id: (await update(ctx, id, input)).id }),
});

export const deleteGroup = defineAction({
  permission: "pools.manage",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => remove(ctx, id),
});

/** The moderation queue's three buttons; lib/groups/moderation.ts checks the post's group and department. */
export const approvePost = defineAction({
  permission: "pools.manage",
  input: z.object({ postId: uuid }),
  run: (ctx, { postId }) => approve(ctx, postId),
});

export const rejectPost = defineAction({
  permission: "pools.manage",
  input: z.object({ postId: uuid, reason: optionalText(500) }),
  run: (ctx, { postId, reason }) => reject(ctx, postId, reason),
});

export const allowPoster = defineAction({
  permission: "pools.manage",
  input: z.object({ postId: uuid }),
  run: (ctx, { postId }) => allow(ctx, postId),
});
