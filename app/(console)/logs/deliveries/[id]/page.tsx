import Link from "next/link";
import { notFound } from "next/navigation";
import type { ReactNode } from "react";
import { DeliveryStatusBadge } from "@/components/logs/delivery-status-badge";
import { DeliveryTimeline } from "@/components/logs/delivery-timeline";
import { LogTabs } from "@/components/logs/log-tabs";
import { Forbidden } from "@/components/ui/forbidden";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { can } from "@/lib/access/policy";
import { consolePage, loadOrDeny } from "@/app/(console)/_page/console-page";
import { numericId, queryValue } from "@/app/(console)/_page/search-params";
import { format } from "@/lib/i18n";
import { deliveryTrail } from "@/lib/reports/delivery-trail";
import { formatInZone } from "@/lib/time/zone";

/** One delivery of the delivery log: what was sent to whom, and its SMTP replies and provider events in time order. */
export default consolePage("reports.view", async function DeliveryTrailPage(ctx, { params }: { params: Promise<{ id: string }> }) {
  const { t, actor } = ctx;
  const { id } = await params;
  const deliveryId = queryValue(numericId, id);
  if (deliveryId === null) notFound();
  const trail = await loadOrDeny(deliveryTrail(ctx, deliveryId));
  if (!trail) return <Forbidden message={t.errors.forbidden} />;
  const { delivery } = trail;
  const labels = t.deliveryLog;
  const when = (value: Date | null) => (value ? formatInZone(value, ctx.timeZone) : t.common.none);
  const taskHref = can(actor.role, "tasks.manage") ? `/tasks/${delivery.taskId}` : `/logs/deliveries?taskId=${delivery.taskId}`;
  const rows: [string, ReactNode, string][] = [
    [
      labels.task,
      <Link key="task" className="text-indigo-700 hover:underline" href={taskHref}>
        {delivery.taskName}
      </Link>,
      "task",
    ],
    ...(actor.role !== "department" ? ([[labels.department, delivery.department, "department"]] as [string, ReactNode, string][]) : []),
    ...(delivery.channel !== "email"
      ? ([
          [t.reports.channels.channel, t.channels.names[delivery.channel], "channel"],
          [
            t.reports.channels.number,
            delivery.segments ? `${delivery.address ?? t.common.none} · ${format(t.reports.channels.segments, { count: delivery.segments })}` : (delivery.address ?? t.common.none),
            "number",
          ],
        ] as [string, ReactNode, string][])
      : []),
    [labels.sender, delivery.sender ? (delivery.sender.name ? `${delivery.sender.name} <${delivery.sender.address}>` : delivery.sender.address) : t.common.none, "sender"],
    [labels.status, <DeliveryStatusBadge key="status" status={delivery.status} labels={t.tasks.deliveryStatuses} />, "status"],
    [labels.category, delivery.category ? t.tasks.categories[delivery.category] : t.common.none, "category"],
    [labels.sentAt, when(delivery.sentAt), "sent"],
    [labels.attempts, String(delivery.attempts), "attempts"],
    [labels.messageId, delivery.messageId ?? t.common.none, "message-id"],
    [labels.opens, `${delivery.openCount} (${format(labels.machineCounts, { count: delivery.machineOpenCount })})`, "opens"],
    [labels.clicks, `${delivery.clickCount} (${format(labels.machineCounts, { count: delivery.machineClickCount })})`, "clicks"],
  ];
  return (
    <div className="space-y-4">
      <LogTabs current="deliveries" labels={labels.tabs} />
      <PageHeader
        title={format(labels.trailTitle, { email: delivery.email })}
        actions={
          <Link className="text-sm text-indigo-700 hover:underline" href="/logs/deliveries">
            {labels.back}
          </Link>
        }
      />
      <Card title={labels.details} testId="delivery-details">
        <dl className="grid gap-x-6 gap-y-2 text-sm sm:grid-cols-2">
          {rows.map(([name, value, key]) => (
            <div key={key} className="flex gap-2">
              <dt className="w-32 shrink-0 text-slate-500">{name}</dt>
              <dd className="min-w-0 break-words text-slate-900" data-testid={`delivery-detail-${key}`}>
                {value}
              </dd>
            </div>
          ))}
        </dl>
      </Card>
      <Card title={labels.trail} testId="delivery-trail-card">
        <DeliveryTimeline timeline={trail.timeline} timeZone={ctx.timeZone} t={t} />
      </Card>
    </div>
  );
});
