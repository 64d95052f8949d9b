"use server";

import { z } from "zod";
import { WEBHOOK_EVENT_TYPES } from "@/db/schema/webhooks";
import { writeSetting } from "@/lib/accounts/settings";
import { defineAction } from "@/lib/entry/action";
import { optionalUuid, uuid } from "@/lib/entry/form-schemas";
import { createWebhookEndpoint, deleteWebhookEndpoint, setWebhookEnabled } from "@/lib/webhooks/endpoints";
import { replayWebhookMessage, sendTestWebhook } from "@/lib/webhooks/messages";

/** Checkboxes sharing the name `events`. */
const eventList = z.preprocess((value) => (value === undefined || value === "" ? [] : Array.isArray(value) ? value : [value]), z.array(z.enum(WEBHOOK_EVENT_TYPES)));

export const createWebhook = defineAction({
  permission: "webhooks.manage",
  input: z.object({ url: z.string().trim().max(2000), events: eventList, departmentId: optionalUuid }),
  run: async (ctx, input) => {
    const created = await createWebhookEndpoint(ctx, input);
    return { url: created.url, secret: created.secret };
  },
});

export const setWebhookStatus = defineAction({
  permission: "webhooks.manage",
  input: z.object({ id: uuid, enabled: z.enum(["true", "false"]).transform((value) => value === "true") }),
  run: (ctx, { id, enabled }) => setWebhookEnabled(ctx, id, enabled),
});

export const deleteWebhook = defineAction({
  permission: "webhooks.manage",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => deleteWebhookEndpoint(ctx, id),
});

export const sendWebhookTest = defineAction({
  permission: "webhooks.manage",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => sendTestWebhook(ctx, id),
});

export const replayWebhookEvent = defineAction({
  permission: "webhooks.manage",
  input: z.object({ id: uuid, messageId: z.coerce.number().int().positive() }),
  run: (ctx, { id, messageId }) => replayWebhookMessage(ctx, id, messageId),
});

/** The company's setting that lets webhook URLs point at loopback and private addresses (on-premises receivers); audited as settings.update. */
export const allowPrivateWebhookUrls = defineAction({
  permission: "company.update",
  input: z.object({ allowed: z.enum(["true", "false"]).transform((value) => value === "true") }),
  run: (ctx, { allowed }) => writeSetting(ctx, "webhooksAllowPrivate", allowed),
});
