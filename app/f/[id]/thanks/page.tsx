import type { Metadata } from "next";
import { headers } from "next/headers";
import Link from "next/link";
import { notFound } from "next/navigation";
import { getDb } from "@/lib/database";
import { formLanguage, publicSignupForm } from "@/lib/forms/public";
import { messagesFor } from "@/lib/i18n";
import { FormFrame } from "../form-frame";

export const metadata: Metadata = { robots: { index: false, follow: false } };

/** Where a post lands when it was taken (or was a bot's, which must not tell): check your mailbox. */
export default async function SignupThanksPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const [{ id }, query, headerList] = await Promise.all([params, searchParams, headers()]);
  const form = await publicSignupForm(await getDb(), id);
  if (!form) notFound();
  const requested = Array.isArray(query.lang) ? query.lang[0] : query.lang;
  const language = formLanguage(requested, headerList.get("accept-language"), form.language);
  const t = messagesFor(language === "zh" ? "zh-CN" : "en").forms.public;
  return (
    <FormFrame form={form} language={language} path={`/f/${form.id}/thanks`} languageLabel={t.language}>
      <h1 className="text-xl font-semibold text-slate-900" data-testid="thanks-title">
        {t.thanksTitle}
      </h1>
      <p className="text-sm text-slate-700" data-testid="thanks-text">
        {t.thanks}
      </p>
      <p className="text-sm text-slate-600">{t.thanksAgain}</p>
      <p className="text-sm">
        <Link href={`/f/${form.id}?lang=${language}`} className="text-slate-700 underline">
          {t.back}
        </Link>
      </p>
    </FormFrame>
  );
}
