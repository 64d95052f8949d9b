import "server-only";
import { notFound, redirect } from "next/navigation";
import { createElement, type ReactNode } from "react";
import { z } from "zod";
import { Forbidden } from "@/components/ui/forbidden";
import { AppError } from "@/lib/errors";
import { getDb } from "@/db/client";
import type { Actor } from "@/lib/auth/actor";
import { can, type Permission } from "@/lib/auth/policy";
import type { Ctx } from "@/lib/context";
import { sessionActor } from "@/lib/entry/request";
import type { Locale, Messages } from "@/lib/i18n";
import { getMessages } from "@/lib/i18n/server";
import { readEnv } from "@/lib/config/env";

export type PageContext = Ctx & { actor: Actor; t: Messages; locale: Locale; timeZone: string };

/**
 * Every console page is made here: signed in or sent to /login, and the page itself runs only when
 * the caller's role holds `permission`; everyone else sees the Forbidden notice. A page cannot
 * forget the check, because it never receives a context without it.
 */
export function consolePage<Props>(permission: Permission, render: (ctx: PageContext, props: Props) => Promise<ReactNode>) {
  return async function ConsolePage(props: Props): Promise<ReactNode> {
    const db = await getDb();
    const actor = await sessionActor(db);
    if (!actor) redirect("/login");
    const { t, locale } = await getMessages();
    if (!can(actor.role, permission)) return createElement(Forbidden, { message: t.errors.forbidden });
    return render({ db, actor, t, locale, timeZone: readEnv().timeZone }, props);
  };
}

type QueryValue = string | string[] | undefined;

const single = (value: QueryValue) => (Array.isArray(value) ? value[0] : value);

const pageSchema = z.coerce.number().int().min(1).transform((page) => Math.min(page, 100_000));

/** `?page=`: a whole number from 1 (larger ones are clamped); anything else is page 1. */
export function pageNumber(value: QueryValue): number {
  const parsed = pageSchema.safeParse(single(value));
  return parsed.success ? parsed.data : 1;
}

export function firstParam(value: QueryValue): string | undefined {
  const text = single(value)?.trim();
  return text ? text : undefined;
}

/** A numeric id in the URL (deliveries): a positive whole number a bigint column can hold, else null. */
export const numericId = z.string().trim().min(1).transform(Number).pipe(z.number().int().min(1).max(Number.MAX_SAFE_INTEGER));

/** A value of the URL checked by its schema: the parsed value, or null when it does not fit. */
export function queryValue<S extends z.ZodType>(schema: S, value: QueryValue): z.output<S> | null {
  const parsed = schema.safeParse(single(value));
  return parsed.success ? parsed.data : null;
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
