import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { getDb } from "@/lib/database";
import { describeUnsubscribe } from "@/lib/feedback/unsubscribe";
import { readUnsubscribeToken } from "@/lib/tokens/delivery-links";
import { format } from "@/lib/i18n";
import { getMessages } from "@/lib/i18n/server";
import { UnsubscribeButton } from "./unsubscribe-button";

export const metadata: Metadata = { robots: { index: false, follow: false } };

/**
 * The `{{ unsubscribe_url }}` of every message. A GET only shows whose address it is and who sent
 * to it, with a button: mail scanners that fetch links unsubscribe nobody. Mail providers use the
 * one-click POST beside it (./one-click).
 */
export default async function UnsubscribePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const deliveryId = readUnsubscribeToken(token);
  const subject = deliveryId === null ? null : await describeUnsubscribe(await getDb(), deliveryId);
  if (!subject) notFound();
  const { t } = await getMessages();
  const names = { email: subject.email, department: subject.department };
  return (
    <main className="flex min-h-full items-center justify-center px-4 py-16">
      <div className="w-full max-w-md space-y-4 rounded-lg bg-white p-6 text-center shadow-sm ring-1 ring-slate-200">
        <h1 className="text-lg font-semibold">{t.unsubscribe.title}</h1>
        {subject.unsubscribed ? (
          <p className="text-sm text-slate-700" data-testid="unsubscribed">
            {format(t.unsubscribe.already, names)}
          </p>
        ) : (
          <>
            <p className="text-sm text-slate-700">{format(t.unsubscribe.question, names)}</p>
            <p className="text-xs text-slate-500">{format(t.unsubscribe.sender, { sender: subject.sender, address: subject.senderAddress })}</p>
            <UnsubscribeButton token={token} />
          </>
        )}
      </div>
    </main>
  );
}
