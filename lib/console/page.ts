import "server-only";
import { notFound, redirect } from "next/navigation";
import { AppError } from "@/lib/errors";
import { getDb } from "@/db/client";
import type { Actor } from "@/lib/auth/actor";
import { can, type Permission } from "@/lib/auth/policy";
import type { Ctx } from "@/lib/context";
import { sessionActor } from "@/lib/entry/request";
import type { Locale, Messages } from "@/lib/i18n";
import { getMessages } from "@/lib/i18n/server";
import { readEnv } from "@/lib/config/env";

export type PageContext = Ctx & { actor: Actor; t: Messages; locale: Locale; timeZone: string; allowed: boolean };

/** Every console page starts here: signed in or sent to /login, then the policy decides. */
export async function consolePage(permission: Permission): Promise<PageContext> {
  const db = await getDb();
  const actor = await sessionActor(db);
  if (!actor) redirect("/login");
  const { t, locale } = await getMessages();
  return { db, actor, t, locale, timeZone: readEnv().timeZone, allowed: can(actor.role, permission) };
}

export function pageNumber(value: string | string[] | undefined): number {
  const parsed = Number.parseInt(Array.isArray(value) ? (value[0] ?? "") : (value ?? ""), 10);
  return Number.isFinite(parsed) && parsed > 0 ? Math.min(parsed, 100_000) : 1;
}

export function firstParam(value: string | string[] | undefined): string | undefined {
  const single = Array.isArray(value) ? value[0] : value;
  return single && single.trim() !== "" ? single.trim() : undefined;
}

/** Loads what a page shows: a missing object is a 404 page, another department's is null (show Forbidden). */
export async function loadOrDeny<T>(load: Promise<T>): Promise<T | null> {
  try {
    return await load;
  } catch (error) {
    if (error instanceof AppError && error.code === "not_found") notFound();
    if (error instanceof AppError && error.code === "forbidden") return null;
    throw error;
  }
}
