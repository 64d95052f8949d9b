"use client";

import { createContext, useContext, type ReactNode } from "react";
import { messagesFor, type Locale, type Messages } from "./index";

const I18nContext = createContext<{ locale: Locale; t: Messages }>({ locale: "en", t: messagesFor("en") });

export function I18nProvider({ locale, children }: { locale: Locale; children: ReactNode }) {
  return <I18nContext.Provider value={{ locale, t: messagesFor(locale) }}>{children}</I18nContext.Provider>;
}

export function useI18n() {
  return useContext(I18nContext);
}
