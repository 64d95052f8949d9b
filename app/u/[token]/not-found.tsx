import { getMessages } from "@/lib/i18n/server";

/** A forged, altered or outdated unsubscribe link: said plainly, with a 404 status, and nothing changed. */
export default async function InvalidUnsubscribeLink() {
  const { t } = await getMessages();
  return (
    <main className="flex min-h-full items-center justify-center px-4 py-16">
      <div className="w-full max-w-md space-y-3 rounded-lg bg-white p-6 text-center shadow-sm ring-1 ring-slate-200" data-testid="unsubscribe-invalid">
        <h1 className="text-lg font-semibold">{t.unsubscribe.invalidTitle}</h1>
        <p className="text-sm text-red-600">{t.unsubscribe.invalid}</p>
      </div>
    </main>
  );
}
