import { getMessages } from "@/lib/i18n/server";
import { ConfirmButton } from "./confirm-button";

/** The link in a double opt-in message. A GET only shows the button: mail scanners that fetch links confirm nothing. */
export default async function ConfirmSubscriptionPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { t } = await getMessages();
  const token = (await searchParams).token;
  const labels = t.confirmSubscription;
  return (
    <main className="flex min-h-full items-center justify-center px-4 py-16">
      <div className="w-full max-w-md space-y-4 rounded-lg bg-white p-6 text-center shadow-sm ring-1 ring-slate-200">
        <h1 className="text-lg font-semibold">{labels.title}</h1>
        {typeof token === "string" && token ? (
          <ConfirmButton token={token} labels={{ confirm: labels.confirm, confirmed: labels.done, used: labels.used, invalid: labels.invalid }} />
        ) : (
          <p className="text-sm text-red-600">{labels.invalid}</p>
        )}
      </div>
    </main>
  );
}
