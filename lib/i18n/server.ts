import "server-only";
import { cookies, headers } from "next/headers";
import { LOCALE_COOKIE, messagesFor, pickLocale, type Locale, type Messages } from "./index";

export async function currentLocale(): Promise<Locale> {
  const [cookieStore, headerList] = await Promise.all([cookies(), headers()]);
  return pickLocale(cookieStore.get(LOCALE_COOKIE)?.value, headerList.get("accept-language"));
}

export async function getMessages(): Promise<{ locale: Locale; t: Messages }> {
  const locale = await currentLocale();
  return { locale, t: messagesFor(locale) };
}
