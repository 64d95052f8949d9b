import "server-only";
import { notFound, redirect } from "next/navigation";
import { createElement, type ReactNode } from "react";
import { Forbidden } from "@/components/ui/forbidden";
import { AppError } from "@/lib/errors";
import { getDb } from "@/lib/database";
import type { Actor } from "@/lib/access/actor";
import { can, type Permission } from "@/lib/access/policy";
import type { Ctx } from "@/lib/access/context";
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
