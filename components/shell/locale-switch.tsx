"use client";

import { useRouter } from "next/navigation";
import { LOCALE_COOKIE, type Locale } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";

function rememberLocale(locale: Locale) {
  document.cookie = `${LOCALE_COOKIE}=${locale}; path=/; max-age=31536000; samesite=lax`;
}

/** The language lives in a cookie the server reads; switching re-renders with the other catalogue. */
export function LocaleSwitch() {
  const { locale, t } = useI18n();
  const router = useRouter();
  const choose = (next: Locale) => {
    rememberLocale(next);
    router.refresh();
  };
  return (
    <div className="flex shrink-0 items-center gap-1 whitespace-nowrap text-xs" role="group" aria-label={t.locale.label} data-testid="locale-switch">
      {(["en", "zh-CN"] as const).map((option) => (
        <button
          key={option}
          type="button"
          onClick={() => choose(option)}
          data-testid={`locale-${option}`}
          aria-pressed={locale === option}
          className={`whitespace-nowrap rounded px-2 py-1 ${locale === option ? "bg-slate-800 text-white" : "text-slate-600 hover:bg-slate-100"}`}
        >
          {option === "en" ? t.locale.en : t.locale.zh}
        </button>
      ))}
    </div>
  );
}
