"use server";

import { z } from "zod";
import { writeSetting } from "@/lib/accounts/settings";
import { defineAction } from "@/lib/entry/action";
import { checkbox, optionalText, optionalUuid, uuid } from "@/lib/entry/form-schemas";
import { addDomain as add, checkDomain as check, decideDomainClaim } from "@/lib/senders/domains";
import { createSender as create, deleteSender as remove } from "@/lib/senders/senders";

export const addDomain = defineAction({
  permission: "senders.manage",
  input: z.object({ domain: z.string().trim().min(3).max(253), departmentId: optionalUuid, companyWide: checkbox }),
  run: (ctx, input) =>
    add(ctx, { domain: input.domain, departmentId: input.companyWide ? null : (input.departmentId ?? ctx.actor.departmentId) }),
});

export const checkDomain = defineAction({
  permission: "senders.manage",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => check(ctx, id),
});

export const approveDomain = defineAction({
  permission: "company.update",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => decideDomainClaim(ctx, id, "approve"),
});

export const rejectDomain = defineAction({
  permission: "company.update",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => decideDomainClaim(ctx, id, "reject"),
});

export const createSender = defineAction({
  permission: "senders.manage",
  input: z.object({ address: z.string().trim().min(3).max(320), name: optionalText(200), departmentId: optionalUuid }),
  run: (ctx, input) => create(ctx, input),
});

export const deleteSender = defineAction({
  permission: "senders.manage",
  input: z.object({ id: uuid }),
  run: (ctx, { id }) => remove(ctx, id),
});

export const setRequireVerifiedDomains = defineAction({
  permission: "company.update",
  input: z.object({ required: z.enum(["true", "false"]).transform((value) => value === "true") }),
  run: (ctx, { required }) => writeSetting(ctx, "requireVerifiedDomains", required),
});
