import { notFound } from "next/navigation";
import Link from "next/link";
import { DeliveryStatusBadge } from "@/components/logs/delivery-status-badge";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { Forbidden } from "@/components/ui/forbidden";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { consolePage, loadOrDeny } from "@/app/(console)/_page/console-page";
import { numericId, pageNumber, queryValue } from "@/app/(console)/_page/search-params";
import { formatPhone } from "@/lib/channels/phone";
import { contactConversation } from "@/lib/feedback/conversation";
import { format } from "@/lib/i18n";
import { formatInZone } from "@/lib/time/zone";

/** One contact's texts on the messaging channels and their replies, newest first (decision 0089's replies). */
export default consolePage("reports.view", async function ContactConversationPage(ctx, { params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { t } = ctx;
  const labels = t.conversation;
  const contactId = queryValue(numericId, (await params).id);
  if (contactId === null) notFound();
  const page = pageNumber((await searchParams).page);
  const conversation = await loadOrDeny(contactConversation(ctx, contactId, { page }));
  if (!conversation) return <Forbidden message={t.errors.forbidden} />;
  const { contact, entries, total, pageSize } = conversation;
  const who = [contact.name, contact.phone ? formatPhone(contact.phone) : contact.wecomUserId].filter(Boolean).join(" · ");
  return (
    <div className="space-y-4">
      <PageHeader title={format(labels.title, { contact: who || contact.email })}>{contact.email}</PageHeader>
      <Card title={labels.messages} testId="conversation">
        {entries.length === 0 ? (
          <p className="text-sm text-slate-500">{labels.empty}</p>
        ) : (
          <ol className="space-y-3">
            {entries.map((entry) =>
              entry.kind === "sent" ? (
                <li key={`sent-${entry.deliveryId}`} className="max-w-xl rounded-lg bg-slate-50 p-3 text-sm ring-1 ring-slate-200" data-testid="conversation-sent">
                  <div className="flex flex-wrap items-center gap-2">
                    <Badge tone="indigo">{t.channels.names[entry.channel]}</Badge>
                    <Link className="font-medium text-indigo-700 hover:underline" href={`/logs/deliveries/${entry.deliveryId}`}>
                      {entry.taskName}
                    </Link>
                    <DeliveryStatusBadge status={entry.status} labels={t.tasks.deliveryStatuses} />
                    {entry.readAt ? <Badge tone="green">{labels.read}</Badge> : null}
                  </div>
                  <p className="mt-1 text-xs text-slate-500">
                    {formatInZone(entry.at, ctx.timeZone)}
                    {entry.address ? ` · ${formatPhone(entry.address)}` : ""}
                  </p>
                </li>
              ) : (
                <li key={`reply-${entry.deliveryId}-${entry.at.getTime()}`} className="ml-auto max-w-xl rounded-lg bg-indigo-50 p-3 text-sm ring-1 ring-indigo-200 sm:ml-16" data-testid="conversation-reply">
                  <p className="whitespace-pre-wrap break-words text-slate-900">{entry.text || labels.erased}</p>
                  <p className="mt-1 text-xs text-slate-500">{format(labels.replied, { channel: t.channels.names[entry.channel], at: formatInZone(entry.at, ctx.timeZone) })}</p>
                </li>
              ),
            )}
          </ol>
        )}
      </Card>
      <Pagination page={conversation.page} hasMore={conversation.page * pageSize < total} params={{}} labels={t.common} />
    </div>
  );
});
