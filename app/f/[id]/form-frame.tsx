import Link from "next/link";
import type { ReactNode } from "react";
import type { PublicForm } from "@/lib/forms/public";
import type { FormLanguage } from "@/lib/forms/settings";

/**
 * The hosted pages' frame: no console chrome, the department's logo and colour. The colour and
 * logo were checked when saved and again when read (lib/forms/public.ts), and reach the page only
 * as a style value and an image address; every text is rendered as text.
 */
export function FormFrame({
  form,
  language,
  path,
  languageLabel,
  children,
}: {
  form: PublicForm;
  language: FormLanguage;
  path: string;
  languageLabel: string;
  children: ReactNode;
}) {
  return (
    <main className="flex min-h-full justify-center bg-slate-50 px-4 py-10" lang={language === "zh" ? "zh-CN" : "en"}>
      <div className="w-full max-w-md overflow-hidden rounded-lg bg-white shadow-sm ring-1 ring-slate-200">
        <div className="h-1.5" style={{ backgroundColor: form.colour }} aria-hidden="true" />
        <div className="space-y-4 p-6">
          {form.logoUrl ? (
            // A logo may be on any https host; next/image would need each host configured.
            // eslint-disable-next-line @next/next/no-img-element
            <img src={form.logoUrl} alt="" referrerPolicy="no-referrer" className="h-12 w-auto max-w-full object-contain" data-testid="form-logo" />
          ) : null}
          {children}
          <nav aria-label={languageLabel} className="flex gap-3 border-t border-slate-100 pt-3 text-xs">
            <Link href={`${path}?lang=zh`} lang="zh-CN" className="text-slate-600 underline" aria-current={language === "zh" ? "page" : undefined} data-testid="form-lang-zh">
              简体中文
            </Link>
            <Link href={`${path}?lang=en`} lang="en" className="text-slate-600 underline" aria-current={language === "en" ? "page" : undefined} data-testid="form-lang-en">
              English
            </Link>
          </nav>
        </div>
      </div>
    </main>
  );
}
