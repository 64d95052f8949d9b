import Link from "next/link";
import type { PageContext } from "@/app/(console)/_page/console-page";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { KeysetNav } from "@/components/ui/pagination";
import { Stat } from "@/components/ui/stat";
import { format } from "@/lib/i18n";
import { taskReplies } from "@/lib/sending/task-replies";
import { formatInZone } from "@/lib/time/zone";

/** Characters of a reply's text shown in the list: its start, the rest is on the delivery. */
const TEXT_SHOWN = 280;

/** The page's own query (the delivery log's filters and cursor) that the replies' links keep. */
export type RepliesQuery = { page: number; automatic: boolean; keep: Record<string, string | undefined> };

/** `?replies=<page>` and `?autoReplies=1`: the list's page and whether automatic answers are listed, read from the task page's query. */
export function repliesQuery(replies: string | undefined, automatic: string | undefined, keep: Record<string, string | undefined>): RepliesQuery {
  const page = Number(replies);
  return { page: Number.isInteger(page) && page >= 1 && page <= 10_000 ? page : 1, automatic: automatic === "1", keep };
}

const startOf = (text: string) => {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > TEXT_SHOWN ? `${flat.slice(0, TEXT_SHOWN).trimEnd()}…` : flat;
};

/**
 * 回复: a task that collects replies (issue 19) — how many deliveries a person answered, the reply
 * rate over the messages sent, the automatic answers counted apart, and the replies themselves,
 * newest first, a page at a time; automatic answers are listed only when asked. Read-only, so a
 * manager sees it as a department user does. The text is shown as text (React escapes it), never as HTML.
 */
export async function RepliesCard({ ctx, taskId, sent, forwardTo, query }: { ctx: PageContext; taskId: string; sent: number; forwardTo: string | null; query: RepliesQuery }) {
  const { t, locale, timeZone } = ctx;
  const words = t.tasks.replies;
  const result = await taskReplies(ctx, taskId, { page: query.page, automatic: query.automatic });
  const number = (value: number) => value.toLocaleString(locale);
  const percent = (value: number) => new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(value / 100);
  const href = (page: number, automatic: boolean) => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query.keep)) if (value) search.set(key, value);
    if (page > 1) search.set("replies", String(page));
    if (automatic) search.set("autoReplies", "1");
    const text = search.toString();
    return `/tasks/${taskId}${text ? `?${text}` : ""}#replies`;
  };

  return (
    <div id="replies">
      <Card title={words.title} testId="replies-card">
        <div className="space-y-4">
          <div className="grid grid-cols-2 gap-2 sm:grid-cols-3">
            <Stat label={words.count} value={number(result.replied)} testId="replies-count" />
            <Stat label={words.rate} value={result.replyRate === null ? t.common.none : percent(result.replyRate)} testId="replies-rate" />
            <Stat label={words.automatic} value={number(result.autoReplied)} testId="replies-automatic" />
          </div>
          <div className="space-y-0.5 text-xs text-slate-600">
            <p data-testid="replies-rate-of">{format(words.rateOf, { replied: number(result.replied), sent: number(sent) })}</p>
            {forwardTo ? (
              <p className="break-words" data-testid="replies-forward">
                {format(words.forwardedTo, { address: forwardTo })}
              </p>
            ) : null}
          </div>
          <div className="flex justify-end">
            <Link
              href={href(1, !query.automatic)}
              className="text-sm text-indigo-600 hover:underline"
              data-testid="replies-automatic-toggle"
              data-automatic={query.automatic ? "true" : "false"}
            >
              {query.automatic ? words.hideAutomatic : words.showAutomatic}
            </Link>
          </div>
          {result.replies.length === 0 ? (
            <p className="text-sm text-slate-500" data-testid="replies-empty">
              {query.automatic ? words.noneAutomatic : words.none}
            </p>
          ) : (
            <ul className="divide-y divide-slate-100" data-testid="replies-list">
              {result.replies.map((reply) => (
                <li key={`${reply.deliveryId}-${reply.at.toISOString()}-${reply.type}`} className="space-y-1 py-3" data-testid="reply" data-type={reply.type}>
                  <div className="flex flex-wrap items-center justify-between gap-x-3 gap-y-1 text-sm">
                    <span className="flex min-w-0 items-center gap-1.5">
                      <Link
                        href={`/logs/deliveries/${reply.deliveryId}`}
                        className="break-all font-medium text-slate-900 hover:text-indigo-700 hover:underline"
                        title={format(words.openDelivery, { email: reply.email })}
                        data-testid="reply-email"
                      >
                        {reply.email}
                      </Link>
                      {reply.type === "auto_reply" ? <Badge tone="amber">{words.automaticBadge}</Badge> : null}
                    </span>
                    <time className="shrink-0 text-xs tabular-nums text-slate-500" dateTime={reply.at.toISOString()} data-testid="reply-at">
                      {formatInZone(reply.at, timeZone)}
                    </time>
                  </div>
                  <p className="break-words text-sm font-medium text-slate-800" data-testid="reply-subject">
                    {reply.subject || words.noSubject}
                  </p>
                  <p className="break-words text-sm text-slate-600" data-testid="reply-text">
                    {reply.text ? startOf(reply.text) : words.noText}
                  </p>
                </li>
              ))}
            </ul>
          )}
          <KeysetNav
            previous={result.page > 1 ? { href: href(result.page - 1, query.automatic), label: t.common.previous } : null}
            next={result.hasMore ? { href: href(result.page + 1, query.automatic), label: t.common.next } : null}
          />
        </div>
      </Card>
    </div>
  );
}
