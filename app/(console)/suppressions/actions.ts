"use server";

import { z } from "zod";
import { CHANNEL_SUPPRESSION_REASONS, CONTACT_CHANNELS, SUPPRESSION_REASONS } from "@/db/schema";
import { defineAction } from "@/lib/entry/action";
import { optionalText, optionalUuid, uuid } from "@/lib/entry/form-schemas";
import { addSuppressions as add, removeSuppression as remove } from "@/lib/pools/suppression";
import { addChannelSuppressions as addOnChannel, removeChannelSuppression as removeOnChannel } from "@/lib/pools/channel-suppression";

export const addSuppressions = defineAction({
  permission: "pools.manage",
  input: z.object({
    departmentId: optionalUuid,
    addresses: z.string().min(1, "is required").max(5_000_000),
    reason: z.enum(SUPPRESSION_REASONS).exclude(["erased"]),
    note: optionalText(500),
  }),
  run: (ctx, input) => add(ctx, input),
});

export const removeSuppression = defineAction({
  permission: "pools.manage",
  input: z.object({ departmentId: uuid, email: z.string().min(3).max(320), reason: z.string().trim().min(3, "say why").max(500) }),
  run: (ctx, input) => remove(ctx, input),
});

export const addChannelSuppressions = defineAction({
  permission: "pools.manage",
  input: z.object({
    departmentId: optionalUuid,
    channel: z.enum(CONTACT_CHANNELS),
    addresses: z.string().min(1, "is required").max(2_000_000),
    reason: z.enum(CHANNEL_SUPPRESSION_REASONS),
    note: optionalText(500),
  }),
  run: (ctx, input) => addOnChannel(ctx, input),
});

export const removeChannelSuppression = defineAction({
  permission: "pools.manage",
  input: z.object({ departmentId: uuid, channel: z.enum(CONTACT_CHANNELS), address: z.string().min(1).max(64), reason: z.string().trim().min(3, "say why").max(500) }),
  run: (ctx, input) => removeOnChannel(ctx, input),
});
