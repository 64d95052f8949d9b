"use server";

import { z } from "zod";
import { defineAction } from "@/lib/entry/action";
import { checkbox, optionalUuid, uuid } from "@/lib/entry/form-schemas";
import { markAllNotificationsRead, markNotificationRead, setEmailPreference } from "@/lib/notifications/inbox";

export const markRead = defineAction({
  permission: "notifications.view",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => markNotificationRead(ctx, id),
});

export const markAllRead = defineAction({
  permission: "notifications.view",
  input: z.object({ departmentId: optionalUuid }),
  run: (ctx, { departmentId }) => markAllNotificationsRead(ctx, { departmentId }),
});

/** The caller's own choice to get notifications by e-mail too; audited as settings.update. */
export const setNotificationEmail = defineAction({
  permission: "notifications.view",
  input: z.object({ email: checkbox }),
  run: (ctx, { email }) => setEmailPreference(ctx, email),
});
