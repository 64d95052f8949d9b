import type { Metadata } from "next";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { StatusMessage } from "@/components/ui/status-message";
import { getDb } from "@/lib/database";
import { adminExists, isLocalRequest, setupTokenMatches } from "@/lib/accounts/setup";
import { publicActionIp } from "@/lib/entry/request";
import { AppError } from "@/lib/errors";
import { format } from "@/lib/i18n";
import { getMessages } from "@/lib/i18n/server";
import { AuthFrame } from "../auth-frame";
import { SetupForm } from "./setup-form";

// The setup token may be in this page's address: it is never sent on to another site.
export const metadata: Metadata = { referrer: "no-referrer" };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/**
 * First-run setup (lib/accounts/setup.ts): while no admin exists, a browser on this machine, or
 * anyone with the setup token the server printed, creates the first admin here. Once one exists,
 * the page is the sign-in page.
 */
export default async function SetupPage({ searchParams }: { searchParams: SearchParams }) {
  const db = await getDb();
  if (await adminExists(db)) redirect("/login");
  const { t } = await getMessages();
  const raw = (await searchParams).token;
  const token = (Array.isArray(raw) ? raw[0] : raw)?.trim() || undefined;
  let allowed = isLocalRequest(await headers());
  let refusal: string | null = null;
  if (!allowed && token) {
    try {
      // A guessed token costs a request of the caller's public budget, as the form's submission does.
      await publicActionIp();
      allowed = await setupTokenMatches(db, token);
      if (!allowed) refusal = t.setup.tokenRefused;
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== "rate_limited") throw error;
      const seconds = (error.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds ?? 60;
      refusal = format(t.setup.errors.rate_limited, { seconds });
    }
  }
  return (
    <AuthFrame t={t} width="md">
      <div className="rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200" data-testid="setup">
        <h1 className="mb-2 text-base font-semibold">{t.setup.title}</h1>
        {allowed ? (
          <>
            <p className="mb-4 text-sm text-slate-600">{t.setup.intro}</p>
            <SetupForm token={token ?? null} />
          </>
        ) : (
          <div className="space-y-4" data-testid="setup-not-allowed">
            <div className="text-sm text-slate-700">
              <div className="font-medium">{t.setup.notLocalTitle}</div>
              <p className="mt-1 text-slate-600">{t.setup.notLocalBody}</p>
            </div>
            <form method="get" action="/setup" className="space-y-3" data-testid="setup-token-form">
              <Field label={t.setup.token}>
                <Input name="token" autoComplete="off" required data-testid="setup-token" />
              </Field>
              <StatusMessage testId="setup-token-error">{refusal}</StatusMessage>
              <Button type="submit">{t.setup.tokenSubmit}</Button>
            </form>
          </div>
        )}
      </div>
    </AuthFrame>
  );
}
