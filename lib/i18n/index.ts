import { en, type Messages } from "./en";
import { zh } from "./zh";

export const LOCALES = ["en", "zh-CN"] as const;
export type Locale = (typeof LOCALES)[number];
export const LOCALE_COOKIE = "fanout-locale";

const catalogs: Record<Locale, Messages> = { en, "zh-CN": zh };

export function messagesFor(locale: Locale): Messages {
  return catalogs[locale];
}

export function pickLocale(cookieValue: string | undefined, acceptLanguage: string | null): Locale {
  if (cookieValue === "en" || cookieValue === "zh-CN") return cookieValue;
  return /^\s*zh\b/i.test(acceptLanguage ?? "") ? "zh-CN" : "en";
}

/** Fills {placeholders} in a message. */
export function format(message: string, values: Record<string, string | number> = {}): string {
  return message.replace(/\{(\w+)\}/g, (whole, key: string) => (key in values ? String(values[key]) : whole));
}

export type { Messages };
