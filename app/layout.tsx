import type { Metadata } from "next";
import type { ReactNode } from "react";
import { HydrationMark } from "@/components/shell/hydration-mark";
import { I18nProvider } from "@/lib/i18n/client";
import { currentLocale } from "@/lib/i18n/server";
import "./globals.css";

export const metadata: Metadata = {
  title: "Fanout",
  description: "Group sending for a company and its departments",
  icons: { icon: "/favicon.svg" },
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const locale = await currentLocale();
  return (
    <html lang={locale}>
      <body>
        <I18nProvider locale={locale}>{children}</I18nProvider>
        <HydrationMark />
      </body>
    </html>
  );
}
