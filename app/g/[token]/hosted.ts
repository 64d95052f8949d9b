import "server-only";
import { readEnv } from "@/lib/config/env";
import { getDb } from "@/lib/database";
import { publicActionIp } from "@/lib/entry/request";
import { AppError } from "@/lib/errors";
import { memberArchive, type MemberArchive } from "@/lib/groups/archive-access";
import { messagesFor, type Locale, type Messages } from "@/lib/i18n";
import { currentLocale } from "@/lib/i18n/server";

export type Hosted = {
  t: Messages;
  locale: Locale;
  /** `?lang=` as the visitor chose it, kept on the page's links. */
  lang: "en" | "zh" | undefined;
  timeZone: string;
  /** null: no access (a bad link, or no longer a member); "limited": too many requests from this IP. */
  opened: MemberArchive | null | "limited";
};

/**
 * What every page of a member's archive starts with: the language (`?lang=`, else the browser's),
 * the request counted against the public per-IP limit, and the link and membership checked again.
 */
export async function openHosted(token: string, langParam: string | string[] | undefined): Promise<Hosted> {
  const value = Array.isArray(langParam) ? langParam[0] : langParam;
  const lang: Hosted["lang"] = value === "en" ? "en" : value === "zh" || value === "zh-CN" ? "zh" : undefined;
  const locale: Locale = lang === "en" ? "en" : lang === "zh" ? "zh-CN" : await currentLocale();
  const base = { t: messagesFor(locale), locale, lang, timeZone: readEnv().timeZone };
  try {
    await publicActionIp();
  } catch (error) {
    if (error instanceof AppError && error.code === "rate_limited") return { ...base, opened: "limited" };
    throw error;
  }
  return { ...base, opened: await memberArchive(await getDb(), token) };
}

/** A link within the archive, keeping the chosen language. */
export function hostedHref(token: string, path: string, lang: string | undefined, query: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...query, lang })) if (value) params.set(key, value);
  const search = params.toString();
  return `/g/${encodeURIComponent(token)}${path}${search ? `?${search}` : ""}`;
}
