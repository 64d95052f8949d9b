"use server";

import { z } from "zod";
import { defineAction } from "@/lib/entry/action";
import { checkbox, optionalText, optionalUuid, uuid } from "@/lib/entry/form-schemas";
import {
  changeSmtpAccountPassword,
  createSmtpAccount as create,
  deleteSmtpAccount as remove,
  setSmtpAccountDisabled,
  setSmtpAccountLimits as setLimits,
} from "@/lib/gateway/smtp-accounts";

/** An empty password field means "generate one" (shown once). */
const optionalPassword = z.preprocess((value) => (value === "" || value === undefined || value === null ? null : value), z.string().max(200).nullable());
/** A limit typed into a form: empty is no limit; the range is checked (and named) by the domain. */
const optionalCount = z.preprocess(
  (value) => (value === "" || value === undefined || value === null ? null : value),
  z.coerce.number().int("must be a whole number").nullable(),
);

export const createSmtpAccount = defineAction({
  permission: "smtp_accounts.manage",
  input: z.object({ departmentId: optionalUuid, username: z.string().max(200), password: optionalPassword, note: optionalText(500) }),
  run: (ctx, input) => create(ctx, input),
});

export const changeSmtpPassword = defineAction({
  permission: "smtp_accounts.manage",
  input: z.object({ id: uuid, password: optionalPassword }),
  run: (ctx, { id, password }) => changeSmtpAccountPassword(ctx, id, password),
});

export const setSmtpAccountStatus = defineAction({
  permission: "smtp_accounts.manage",
  input: z.object({ id: uuid, disabled: z.enum(["true", "false"]).transform((value) => value === "true") }),
  run: (ctx, { id, disabled }) => setSmtpAccountDisabled(ctx, id, disabled),
});

export const setSmtpAccountLimits = defineAction({
  permission: "smtp_accounts.manage",
  input: z.object({
    id: uuid,
    messagesPerMinute: optionalCount,
    maxRecipients: optionalCount,
    allowedIps: z.string().max(5_000).optional().default(""),
    tracking: checkbox,
  }),
  run: (ctx, { id, ...limits }) => setLimits(ctx, id, limits),
});

export const deleteSmtpAccount = defineAction({
  permission: "smtp_accounts.manage",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => remove(ctx, id),
});
