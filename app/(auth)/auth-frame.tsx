import type { ReactNode } from "react";
import { LocaleSwitch } from "@/components/shell/locale-switch";
import type { Messages } from "@/lib/i18n";

/** The signed-out pages (sign-in, first-run setup): the name, the tagline and the language switch above a narrow column. */
export function AuthFrame({ t, width, children }: { t: Messages; width: "sm" | "md"; children: ReactNode }) {
  return (
    <main className="flex min-h-full items-center justify-center px-4 py-12">
      <div className={`w-full ${width === "sm" ? "max-w-sm" : "max-w-md"} space-y-6`}>
        <div className="flex items-center justify-between">
          <div>
            <div className="text-2xl font-bold tracking-tight text-indigo-700">{t.app.name}</div>
            <div className="text-sm text-slate-500">{t.app.tagline}</div>
          </div>
          <LocaleSwitch />
        </div>
        {children}
      </div>
    </main>
  );
}
