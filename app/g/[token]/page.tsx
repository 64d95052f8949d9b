import type { Metadata } from "next";
import Link from "next/link";
import { ArchiveSearch } from "@/components/groups/archive-search";
import { ThreadList } from "@/components/groups/thread-list";
import { listThreads } from "@/lib/groups/archive";
import { format } from "@/lib/i18n";
import { HostedFrame } from "./frame";
import { hostedHref, openHosted } from "./hosted";

export const metadata: Metadata = { robots: { index: false, follow: false }, referrer: "no-referrer" };

type Query = Record<string, string | string[] | undefined>;
const PAGE_LINK = "rounded-md px-2.5 py-1 ring-1 ring-slate-300 hover:bg-slate-50";
const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value) ?? "";

/** A member's archive (/g/<token>, the List-Archive link of every post): the group's conversations, searchable, newest first. */
export default async function GroupArchivePage({ params, searchParams }: { params: Promise<{ token: string }>; searchParams: Promise<Query> }) {
  const { token } = await params;
  const search = await searchParams;
  const hosted = await openHosted(token, search.lang);
  const query = one(search.q).trim().slice(0, 200);
  const page = Math.min(Math.max(1, Number.parseInt(one(search.page), 10) || 1), 10_000);
  const words = hosted.t.groupArchive;
  const switchHref = hostedHref(token, "", hosted.locale === "en" ? "zh" : "en", { q: query || undefined, page: page > 1 ? String(page) : undefined });
  const opened = hosted.opened;
  if (opened === null || opened === "limited") return <HostedFrame hosted={hosted} switchHref={switchHref} />;
  const { threads, hasMore } = await listThreads(opened.archive, { page, query });
  const pageHref = (target: number) => hostedHref(token, "", hosted.lang, { q: query || undefined, page: String(target) });
  return (
    <HostedFrame hosted={hosted} switchHref={switchHref}>
      <header>
        <h1 className="text-lg font-semibold text-slate-900" data-testid="group-archive-title">
          {format(words.title, { name: opened.group.name })}
        </h1>
        <p className="text-sm text-slate-600">{format(words.intro, { address: opened.group.address })}</p>
      </header>
      <ArchiveSearch query={query} label={words.search} button={words.searchButton} keep={{ lang: hosted.lang }} />
      <ThreadList
        threads={threads}
        words={{ columns: hosted.t.groups.archive.columns, noSubject: words.noSubject }}
        empty={query ? format(words.noMatch, { query }) : words.none}
        timeZone={hosted.timeZone}
        href={(threadId) => hostedHref(token, `/t/${threadId}`, hosted.lang)}
      />
      <nav className="flex items-center justify-end gap-2 text-sm" aria-label="pagination">
        {page > 1 ? (
          <Link className={PAGE_LINK} href={pageHref(page - 1)} data-testid="page-previous">
            {hosted.t.common.previous}
          </Link>
        ) : null}
        <span className="text-slate-500">{format(hosted.t.common.page, { page })}</span>
        {hasMore ? (
          <Link className={PAGE_LINK} href={pageHref(page + 1)} data-testid="page-next">
            {hosted.t.common.next}
          </Link>
        ) : null}
      </nav>
    </HostedFrame>
  );
}
