import Link from "next/link";
import { redirect } from "next/navigation";
import { getDb } from "@/lib/database";
import { sessionActor } from "@/lib/entry/request";
import { getMessages } from "@/lib/i18n/server";
import { AuthFrame } from "../auth-frame";
import { hasAnyAdmin } from "@/lib/server/boot";
import { LoginForm } from "./login-form";

export default async function LoginPage() {
  const db = await getDb();
  if (await sessionActor(db)) redirect("/");
  const { t } = await getMessages();
  const adminExists = await hasAnyAdmin(db);
  return (
    <AuthFrame t={t} width="sm">
      {adminExists ? null : (
        <div className="rounded-lg bg-amber-50 p-4 text-sm text-amber-900 ring-1 ring-amber-200" data-testid="no-admin">
          <div className="font-semibold">{t.login.noAdminTitle}</div>
          <Link href="/setup" className="mt-2 inline-block font-medium text-indigo-700 underline" data-testid="setup-link">
            {t.setup.fromLogin} →
          </Link>
          <p className="mt-2">{t.login.noAdminBody}</p>
          <pre className="mt-2 overflow-x-auto rounded bg-white/70 p-2 text-xs">
            npm run fanout -- admin create --email you@example.com --password &apos;…&apos;
          </pre>
          <p className="mt-2">{t.login.noAdminEnv}</p>
        </div>
      )}
      <div className="rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
        <h1 className="mb-4 text-base font-semibold">{t.login.title}</h1>
        <LoginForm />
      </div>
    </AuthFrame>
  );
}
