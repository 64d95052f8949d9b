"use server";

import { headers } from "next/headers";
import { z } from "zod";
import { getDb } from "@/lib/database";
import { createFirstAdmin as create, isLocalRequest } from "@/lib/accounts/setup";
import { publicActionIp } from "@/lib/entry/request";
import { AppError } from "@/lib/errors";

/** Why a setup was refused, as the form words it (setup.errors in the catalogues). */
export type SetupRefusal = "not_allowed" | "admin_exists" | "name" | "email" | "email_taken" | "password" | "rate_limited" | "unknown";
export type SetupAnswer = { ok: true; email: string } | { ok: false; reason: SetupRefusal; retryAfterSeconds?: number };

const input = z.object({
  name: z.string().max(1000),
  email: z.string().max(1000),
  password: z.string().max(1000),
  token: z.string().max(1000).optional(),
});

/**
 * Public by design while no admin exists: the caller is on this machine (lib/accounts/setup.ts
 * isLocalRequest) or holds the setup token the server printed; both are checked again in
 * createFirstAdmin, which makes one admin however many submit at once. Counted against the per-IP
 * limit of the public endpoints.
 */
export async function createFirstAdmin(raw: unknown): Promise<SetupAnswer> {
  try {
    const ip = await publicActionIp();
    const parsed = input.safeParse(raw);
    if (!parsed.success) return { ok: false, reason: "unknown" };
    const local = isLocalRequest(await headers());
    const created = await create(await getDb(), { ip, local }, parsed.data);
    return { ok: true, email: created.email };
  } catch (error) {
    return { ok: false, ...refusal(error) };
  }
}

function refusal(error: unknown): { reason: SetupRefusal; retryAfterSeconds?: number } {
  if (!(error instanceof AppError)) {
    console.error("[fanout] first-run setup failed", error);
    return { reason: "unknown" };
  }
  const details = (error.details ?? {}) as { reason?: string; field?: string; retryAfterSeconds?: number };
  if (details.reason === "not_allowed" || details.reason === "admin_exists") return { reason: details.reason };
  if (error.code === "rate_limited") return { reason: "rate_limited", retryAfterSeconds: details.retryAfterSeconds ?? 60 };
  if (error.code === "conflict" && details.field === "email") return { reason: "email_taken" };
  if (details.field === "name" || details.field === "email" || details.field === "password") return { reason: details.field };
  return { reason: "unknown" };
}
