import { Badge } from "@/components/ui/badge";
import type { Messages } from "@/lib/i18n";
import { format } from "@/lib/i18n";
import type { TrailEntry } from "@/lib/reports/delivery-trail";
import { formatInZone } from "@/lib/time/zone";
import { DeliveryStatusBadge } from "./delivery-status-badge";

const DOT = { slate: "bg-slate-400", green: "bg-emerald-500", red: "bg-red-500", amber: "bg-amber-400", indigo: "bg-indigo-500" } as const;
type Tone = keyof typeof DOT;

const EVENT_TONES: Record<Extract<TrailEntry, { kind: "event" }>["type"], Tone> = {
  retry: "amber",
  sent: "green",
  delivered: "green",
  delayed: "amber",
  bounced: "red",
  failed: "red",
  complained: "red",
  opened: "indigo",
  clicked: "indigo",
  unsubscribed: "amber",
  auto_reply: "slate",
  replied: "indigo",
};

function answerTone(entry: Extract<TrailEntry, { kind: "answer" }>): Tone {
  if (entry.status === "failed") return "red";
  if (entry.status === "sent" || entry.status === "delivered") return "green";
  if (entry.status === "suppressed") return "amber";
  return "slate";
}

/** A detail's value as the reader says it: a bounce category by its name, yes or no, anything else (a reply, a URL) as recorded. */
function detailValue(t: Messages, name: string, value: string): string {
  const categories = t.tasks.categories as Record<string, string>;
  if (name === "category" && Object.hasOwn(categories, value)) return categories[value]!;
  if (value === "true" || value === "false") return value === "true" ? t.deliveryLog.yes : t.deliveryLog.no;
  return value;
}

/** An entry's dot, title and test id: a channel's read receipt is "read". */
function heading(entry: TrailEntry, t: Messages): { tone: Tone; title: string; testId: string } {
  const labels = t.deliveryLog;
  switch (entry.kind) {
    case "queued":
      return { tone: "slate", title: labels.queued, testId: "trail-queued" };
    case "answer":
      return { tone: answerTone(entry), title: labels.answer, testId: "trail-answer" };
    case "event": {
      const read = entry.source === "channel" && entry.type === "opened";
      return { tone: EVENT_TONES[entry.type], title: read ? t.reports.channels.read : labels.eventTypes[entry.type], testId: `trail-${entry.type}` };
    }
  }
}

/** One delivery's trail as a vertical timeline: queued, every recorded event, the send's answer where its time falls. */
export function DeliveryTimeline({ timeline, timeZone, t }: { timeline: TrailEntry[]; timeZone: string; t: Messages }) {
  const labels = t.deliveryLog;
  const when = (at: Date | null) => (at ? formatInZone(at, timeZone) : t.common.none);
  const events = timeline.filter((entry) => entry.kind === "event").length;
  return (
    <div className="space-y-3">
      <ol className="relative ml-2 border-l border-slate-200" data-testid="delivery-trail">
        {timeline.map((entry, index) => {
          const { tone, title, testId } = heading(entry, t);
          const key = entry.kind === "event" ? `event-${entry.id}` : `${entry.kind}-${index}`;
          return (
            <li key={key} className="relative pb-5 pl-5 last:pb-0" data-testid={testId}>
              <span className={`absolute -left-[7px] top-1 h-3 w-3 rounded-full ring-4 ring-white ${DOT[tone]}`} aria-hidden />
              <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
                <span className="text-sm font-medium text-slate-900">{title}</span>
                <span className="text-xs tabular-nums text-slate-500">{when(entry.at)}</span>
                {entry.kind === "event" ? <Badge>{labels.sources[entry.source]}</Badge> : null}
                {entry.kind === "event" && entry.machine ? (
                  <Badge tone="amber">
                    <span data-testid="trail-machine">{labels.machine}</span>
                  </Badge>
                ) : null}
                {entry.kind === "answer" ? <DeliveryStatusBadge status={entry.status} labels={t.tasks.deliveryStatuses} /> : null}
              </div>
              {entry.kind === "answer" ? <AnswerDetails entry={entry} t={t} timeZone={timeZone} /> : null}
              {entry.kind === "event" && entry.detail.length > 0 ? (
                <dl className="mt-1 grid grid-cols-[max-content_1fr] gap-x-3 gap-y-0.5 text-xs">
                  {entry.detail.map(([name, value]) => (
                    <div key={name} className="contents">
                      <dt className="text-slate-500">{labels.detailKeys[name as keyof typeof labels.detailKeys] ?? name}</dt>
                      <dd className="break-all font-mono text-slate-700">{detailValue(t, name, value)}</dd>
                    </div>
                  ))}
                </dl>
              ) : null}
            </li>
          );
        })}
      </ol>
      {events === 0 ? <p className="text-xs text-slate-500">{labels.noEvents}</p> : null}
    </div>
  );
}

function AnswerDetails({ entry, t, timeZone }: { entry: Extract<TrailEntry, { kind: "answer" }>; t: Messages; timeZone: string }) {
  const labels = t.deliveryLog;
  const rows: [string, string][] = [];
  if (entry.code !== null) rows.push([labels.code, String(entry.code)]);
  if (entry.enhancedStatus) rows.push([labels.enhancedStatus, entry.enhancedStatus]);
  if (entry.reply) rows.push([labels.reply, entry.reply]);
  if (entry.category) rows.push([labels.category, t.tasks.categories[entry.category]]);
  if (entry.providerId) rows.push([labels.providerId, entry.providerId]);
  if (entry.messageId) rows.push([labels.messageId, entry.messageId]);
  rows.push([labels.attempts, String(entry.attempts)]);
  return (
    <div className="mt-1 space-y-1">
      {!entry.at ? <p className="text-xs text-slate-500">{labels.awaiting}</p> : null}
      {entry.nextAttemptAt ? <p className="text-xs text-amber-700">{format(labels.nextAttempt, { time: formatInZone(entry.nextAttemptAt, timeZone) })}</p> : null}
      <dl className="grid grid-cols-[max-content_1fr] gap-x-3 gap-y-0.5 text-xs" data-testid="trail-answer">
        {rows.map(([name, value]) => (
          <div key={name} className="contents">
            <dt className="text-slate-500">{name}</dt>
            <dd className="break-all font-mono text-slate-700">{detailValue(t, name, value)}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
